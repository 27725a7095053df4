// The namespace's Artworks newest first, as a grid of their selected images; more pages load as
// the end scrolls into view. Cards off screen skip layout and paint (content-visibility), so the
// grid stays smooth with thousands loaded.
import { LitElement, css, html } from "lit";
import { repeat } from "lit/directives/repeat.js";
import { MOODS } from "../../crds/artwork-moods.ts";
import { api, artworksPath, type Page, type Summary } from "./api.ts";
import { detailHash } from "./route.ts";
import { shared } from "./styles.ts";

const PHASES = ["Pending", "Generating", "Curating", "Succeeded", "Failed"];
const PAGE_SIZE = 60;
/** New Artworks and progress appear without a reload. */
const REFRESH_MS = 5000;

export class ArtworkGrid extends LitElement {
  static override properties = {
    namespace: {},
    items: { state: true },
    more: { state: true },
    error: { state: true },
    filters: { state: true },
  };
  static override styles = [
    shared,
    css`
      form {
        display: flex;
        gap: 0.6rem;
        flex-wrap: wrap;
        margin-bottom: 1rem;
      }
      ul {
        list-style: none;
        padding: 0;
        margin: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
        gap: 0.9rem;
      }
      li {
        content-visibility: auto;
        contain-intrinsic-size: 220px 300px;
      }
      a.card {
        display: block;
        text-decoration: none;
        color: inherit;
        background: #1d1540;
        border-radius: 12px;
        overflow: hidden;
      }
      a.card:focus-visible {
        outline: 3px solid #ffb3d1;
      }
      .frame {
        aspect-ratio: 1;
        background: #2d2155;
        display: grid;
        place-items: center;
      }
      img {
        width: 100%;
        height: 100%;
        object-fit: cover;
        display: block;
      }
      .caption {
        padding: 0.5rem 0.7rem 0.7rem;
        font-size: 0.9rem;
      }
      .prompt {
        display: -webkit-box;
        -webkit-line-clamp: 2;
        -webkit-box-orient: vertical;
        overflow: hidden;
      }
      .meta {
        display: flex;
        justify-content: space-between;
        margin-top: 0.3rem;
        font-size: 0.8rem;
      }
      .sentinel {
        height: 1px;
      }
    `,
  ];

  declare namespace: string;
  declare items: Summary[];
  declare more: string | undefined;
  declare error: string | undefined;
  declare filters: Record<string, string>;
  private observer?: IntersectionObserver;
  private loading = false;
  private timer?: ReturnType<typeof setInterval>;

  constructor() {
    super();
    this.items = [];
    this.filters = {};
  }

  override connectedCallback() {
    super.connectedCallback();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.timer);
    this.observer?.disconnect();
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has("namespace") || changed.has("filters")) void this.load(true);
  }

  private query(after?: string) {
    const q = new URLSearchParams({ limit: String(PAGE_SIZE), ...this.filters });
    if (after) q.set("continue", after);
    return `${artworksPath(this.namespace)}?${q}`;
  }

  private async load(first: boolean) {
    if (this.loading || (!first && !this.more)) return;
    this.loading = true;
    try {
      const page = await api<Page>(this.query(first ? undefined : this.more));
      this.items = first ? page.items : [...this.items, ...page.items];
      this.more = page.continue;
      this.error = undefined;
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.loading = false;
    }
  }

  /** The first page again, merged in front: new Artworks and the progress of those on screen. */
  private async refresh() {
    if (this.loading || document.hidden) return;
    try {
      const page = await api<Page>(this.query());
      const fresh = new Map(page.items.map((i) => [i.name, i]));
      const rest = this.items.filter((i) => !fresh.has(i.name));
      this.items = [...page.items, ...rest];
    } catch {
      // The next refresh tries again; what is on screen stays.
    }
  }

  override updated() {
    const sentinel = this.renderRoot.querySelector(".sentinel");
    if (!sentinel) return;
    this.observer ??= new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) void this.load(false);
      },
      { rootMargin: "800px" },
    );
    this.observer.disconnect();
    this.observer.observe(sentinel);
  }

  private filter(e: Event) {
    const form = (e.target as HTMLElement).closest("form")!;
    const data = new FormData(form);
    this.filters = Object.fromEntries([...data.entries()].filter(([, v]) => v !== "")) as Record<
      string,
      string
    >;
  }

  override render() {
    const models = [...new Set(this.items.map((i) => i.model).filter(Boolean))] as string[];
    return html`
      <form @change=${this.filter} aria-label="Filters">
        <label
          >Mood
          <select name="mood">
            <option value="">any</option>
            ${MOODS.map((m) => html`<option ?selected=${this.filters.mood === m}>${m}</option>`)}
          </select></label
        >
        <label
          >Model
          <select name="model">
            <option value="">any</option>
            ${[...new Set([...models, ...(this.filters.model ? [this.filters.model] : [])])].map(
              (m) => html`<option ?selected=${this.filters.model === m}>${m}</option>`,
            )}
          </select></label
        >
        <label
          >Phase
          <select name="phase">
            <option value="">any</option>
            ${PHASES.map((p) => html`<option ?selected=${this.filters.phase === p}>${p}</option>`)}
          </select></label
        >
      </form>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ""}
      ${
        this.items.length === 0 && !this.error
          ? html`<p class="muted">No Artworks here yet. <a href="#/create">Create one</a>.</p>`
          : ""
      }
      <ul>
        ${repeat(
          this.items,
          (i) => i.name,
          (i, n) =>
            html`<li>
              <a class="card" href=${detailHash(this.namespace, i.name)} data-artwork=${i.name}>
                <div class="frame">
                  ${
                    i.selected?.thumbnail
                      ? html`<img
                          src=${i.selected.thumbnail}
                          alt=${i.prompt}
                          width="384"
                          height="384"
                          loading=${n < 12 ? "eager" : "lazy"}
                          decoding="async"
                        />`
                      : html`<span class="muted">${i.phase ?? "Pending"} ${i.progress ?? 0}%</span>`
                  }
                </div>
                <div class="caption">
                  <div class="prompt">${i.prompt}</div>
                  <div class="meta muted">
                    <span>${i.mood}</span
                    ><span
                      >${i.selected ? `score ${i.selected.score.toFixed(3)}` : (i.phase ?? "Pending")}</span
                    >
                  </div>
                </div>
              </a>
            </li>`,
        )}
      </ul>
      <div class="sentinel"></div>
    `;
  }
}
customElements.define("artwork-grid", ArtworkGrid);
