// Like, love, download, share, delete: each click is one reaction with a request id of its own,
// counted on screen at once. Sent through the service worker, a reaction made offline is queued
// and delivered when the operator is back; the id makes a retried one count once.
import { LitElement, css, html } from "lit";
import type { FeedbackAction } from "../../crds/learning-state.ts";
import { ApiError, api, artworkPath, post, visitor } from "./api.ts";
import { shared } from "./styles.ts";

const EXPORT_FORMATS = [
  ["png", "PNG"],
  ["webp", "WebP"],
  ["avif", "AVIF"],
  ["jpeg", "JPEG"],
  ["tiff", "TIFF (4× upscaled)"],
  ["svg", "SVG (traced)"],
] as const;

/** Reactions that failed for want of a network, waiting in the service worker's queue. */
export const QUEUED_EVENT = "aria-reactions-queued";

export class ReactionBar extends LitElement {
  static override properties = {
    namespace: {},
    name: {},
    counts: { attribute: false },
    status: { state: true },
  };
  static override styles = [
    shared,
    css`
      .bar {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
      }
      .count {
        font-variant-numeric: tabular-nums;
        margin-left: 0.3em;
      }
      details {
        position: relative;
      }
      summary {
        list-style: none;
        cursor: pointer;
        padding: 0.45em 1.1em;
        border: 1px solid #4a3a85;
        border-radius: 999px;
        background: #2d2155;
      }
      .menu {
        position: absolute;
        z-index: 3;
        background: #1d1540;
        border: 1px solid #4a3a85;
        border-radius: 8px;
        padding: 0.4rem;
        display: grid;
        gap: 0.2rem;
        min-width: 12rem;
      }
      .menu a {
        padding: 0.3rem 0.6rem;
        text-decoration: none;
        color: inherit;
      }
    `,
  ];

  declare namespace: string;
  declare name: string;
  declare counts: Record<string, number>;
  declare status: string | undefined;

  constructor() {
    super();
    this.counts = {};
  }

  private async react(action: FeedbackAction) {
    this.counts = { ...this.counts, [action]: (this.counts[action] ?? 0) + 1 };
    try {
      await post("/feedback", {
        namespace: this.namespace,
        artwork: this.name,
        action,
        requestId: crypto.randomUUID(),
        visitor: visitor(),
      });
      this.status = undefined;
    } catch (err) {
      if (err instanceof ApiError) {
        this.counts = { ...this.counts, [action]: (this.counts[action] ?? 1) - 1 };
        this.status = err.message;
      } else {
        // No answer: the service worker holds the request and sends it when the operator is back.
        this.status = "Offline: your reaction will be sent when the connection is back.";
        dispatchEvent(new Event(QUEUED_EVENT));
      }
    }
  }

  private async share() {
    void this.react("share");
    try {
      const { url } = await post<{ url: string }>(`${artworkPath(this.namespace, this.name)}/share`, {});
      if (navigator.share) await navigator.share({ title: "Aria", url });
      else {
        await navigator.clipboard.writeText(url);
        this.status = `Link copied: ${url}`;
      }
    } catch (err) {
      if ((err as Error).name !== "AbortError") this.status = (err as Error).message;
    }
  }

  private async deleteArtwork() {
    if (!confirm(`Delete ${this.name}? Aria learns from this too.`)) return;
    try {
      await api(artworkPath(this.namespace, this.name), { method: "DELETE" });
      location.hash = `#/${this.namespace}`;
    } catch (err) {
      this.status = (err as Error).message;
    }
  }

  override render() {
    const n = (a: string) => html`<span class="count" data-count=${a}>${this.counts[a] ?? 0}</span>`;
    const exportUrl = (f: string) => `/api${artworkPath(this.namespace, this.name)}/export?format=${f}`;
    return html`
      <div class="bar">
        <button data-action="like" @click=${() => this.react("like")}>★ Like ${n("like")}</button>
        <button data-action="love" @click=${() => this.react("love")}>♥ Love ${n("love")}</button>
        <details>
          <summary>↓ Download ${n("download")}</summary>
          <div class="menu">
            ${EXPORT_FORMATS.map(
              ([f, label]) =>
                html`<a href=${exportUrl(f)} download data-format=${f} @click=${() => this.react("download")}
                  >${label}</a
                >`,
            )}
          </div>
        </details>
        <button data-action="share" @click=${this.share}>↗ Share ${n("share")}</button>
        <button data-action="delete" @click=${this.deleteArtwork}>✕ Delete</button>
      </div>
      ${this.status ? html`<p class="muted" role="status">${this.status}</p>` : ""}
    `;
  }
}
customElements.define("reaction-bar", ReactionBar);
