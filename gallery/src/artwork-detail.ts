// One Artwork in full: every candidate side by side with its scores, the one Aria kept and why,
// the prompt and parameters, a YAML that `kubectl apply -f` takes back, and the reactions. While it
// renders, its live preview.
import { LitElement, css, html } from "lit";
import { api, artworkPath, type Detail } from "./api.ts";
import { shared } from "./styles.ts";
import "./preview-stream.ts";
import "./push-button.ts";
import "./reaction-bar.ts";

const SCORES = [
  ["clip", "CLIP"],
  ["aesthetic", "Aesthetic"],
  ["technical", "Technical"],
  ["ensemble", "Ensemble"],
  ["confidence", "Confidence"],
] as const;
const POLL_MS = 1000;
/** Why the model was chosen, in words (status.modelReason). */
const MODEL_REASONS: Record<string, (model: string) => string> = {
  exploit: (m) => `Learning chose ${m}: people have liked it most for this mood.`,
  explore: (m) => `Learning tried ${m} to find out how people like it.`,
  user: (m) => `${m} was asked for.`,
};
const TERMINAL = new Set(["Succeeded", "Failed"]);

export class ArtworkDetail extends LitElement {
  static override properties = {
    namespace: {},
    name: {},
    art: { state: true },
    error: { state: true },
    copied: { state: true },
  };
  static override styles = [
    shared,
    css`
      h2 {
        margin: 0 0 0.3rem;
      }
      .candidates {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
        gap: 1rem;
        margin: 1rem 0;
      }
      .candidate {
        margin: 0;
        background: #1d1540;
        border-radius: 12px;
        overflow: hidden;
        border: 2px solid transparent;
      }
      .candidate.selected {
        border-color: #ffb3d1;
      }
      .candidate img {
        width: 100%;
        height: auto;
        display: block;
        aspect-ratio: 1;
        object-fit: cover;
      }
      table {
        width: 100%;
        border-collapse: collapse;
        font-size: 0.9rem;
      }
      td,
      th {
        padding: 0.2rem 0.6rem;
        text-align: left;
      }
      td {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.2rem 1rem;
      }
      dt {
        color: #c9bfe6;
      }
      dd {
        margin: 0;
      }
      pre {
        background: #1d1540;
        padding: 0.8rem;
        border-radius: 8px;
        overflow: auto;
      }
      progress {
        width: 100%;
        max-width: 512px;
      }
    `,
  ];

  declare namespace: string;
  declare name: string;
  declare art: Detail | undefined;
  declare error: string | undefined;
  declare copied: boolean;
  private timer?: ReturnType<typeof setTimeout>;

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has("name") || changed.has("namespace")) {
      this.art = undefined;
      void this.load();
    }
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  private async load() {
    clearTimeout(this.timer);
    try {
      this.art = await api<Detail>(artworkPath(this.namespace, this.name));
      this.error = undefined;
    } catch (err) {
      this.error = (err as Error).message;
    }
    if (!this.art || !TERMINAL.has(this.art.phase ?? ""))
      this.timer = setTimeout(() => void this.load(), POLL_MS);
  }

  private async copyYaml() {
    if (!this.art) return;
    await navigator.clipboard.writeText(this.art.yaml);
    this.copied = true;
  }

  override render() {
    if (this.error && !this.art) return html`<p class="error" role="alert">${this.error}</p>`;
    const a = this.art;
    if (!a) return html`<p class="muted">Loading…</p>`;
    const rendering = !TERMINAL.has(a.phase ?? "");
    const selected = a.selected?.index;
    const winner = a.candidates.find((c) => c.index === selected);
    return html`
      <h2>${a.spec.prompt}</h2>
      <p class="muted">
        ${a.spec.mood} · ${a.phase ?? "Pending"}${rendering ? ` · ${a.progress ?? 0}%` : ""}
      </p>
      ${
        rendering
          ? html`<progress max="100" .value=${a.progress ?? 0} aria-label="Progress"></progress>
              <push-button .namespace=${a.namespace} .name=${a.name}></push-button>
              <preview-stream .namespace=${a.namespace} .name=${a.name}></preview-stream>`
          : ""
      }
      ${
        a.phase === "Failed"
          ? html`<p class="error" role="alert">
              ${a.conditions.find((c) => c.type === "Ready")?.message ?? "The Artwork failed."}
            </p>`
          : ""
      }
      ${
        winner
          ? html`<p data-testid="why">
              Aria kept candidate ${winner.index + 1} of ${a.candidates.length}: the highest ensemble score
              (${winner.scores.ensemble?.toFixed(3)}), CLIP ${winner.scores.clip?.toFixed(3)}, aesthetic
              ${winner.scores.aesthetic?.toFixed(2)}.
              ${a.rendered.modelReason && a.rendered.model ? (MODEL_REASONS[a.rendered.modelReason]?.(a.rendered.model) ?? "") : ""}
            </p>`
          : ""
      }
      ${
        a.phase === "Succeeded"
          ? html`<reaction-bar
              .namespace=${a.namespace}
              .name=${a.name}
              .counts=${a.reactions}
            ></reaction-bar>`
          : ""
      }
      <div class="candidates">
        ${a.candidates.map(
          (c) =>
            html`<figure
              class="candidate ${c.index === selected ? "selected" : ""}"
              data-candidate=${c.index}
            >
              <a href=${c.image ?? "#"} target="_blank" rel="noopener"
                ><img
                  src=${c.thumbnail ?? ""}
                  alt="Candidate ${c.index + 1}"
                  width="768"
                  height="768"
                  loading="lazy"
              /></a>
              <table>
                <caption class="muted">
                  Candidate ${c.index + 1}${c.index === selected ? " (kept)" : ""}, seed ${c.seed}
                </caption>
                ${SCORES.map(
                  ([k, label]) =>
                    html`<tr>
                      <th scope="row">${label}</th>
                      <td data-score=${k}>${c.scores[k]?.toFixed(k === "aesthetic" ? 2 : 3)}</td>
                    </tr>`,
                )}
              </table>
            </figure>`,
        )}
      </div>
      <dl>
        <dt>Prompt</dt>
        <dd>${a.spec.prompt}</dd>
        ${
          a.spec.negativePrompt
            ? html`<dt>Negative prompt</dt>
                <dd>${a.spec.negativePrompt}</dd>`
            : ""
        }
        <dt>Model</dt>
        <dd>${a.rendered.model ?? a.spec.model ?? "chosen by learning"}</dd>
        <dt>Seed</dt>
        <dd>${a.rendered.seed ?? a.spec.seed ?? "—"}</dd>
        <dt>Steps</dt>
        <dd>${a.rendered.steps ?? a.spec.steps ?? "—"}</dd>
        <dt>Guidance</dt>
        <dd>${a.rendered.guidanceScale ?? a.spec.guidanceScale ?? "—"}</dd>
        <dt>Size</dt>
        <dd>
          ${a.rendered.size.width ?? a.spec.size.width ?? "—"}×${a.rendered.size.height ?? a.spec.size.height ?? "—"}
        </dd>
        <dt>Variations</dt>
        <dd>${a.spec.variations}</dd>
      </dl>
      <h3>As YAML</h3>
      <button @click=${this.copyYaml}>${this.copied ? "Copied" : "Copy as YAML"}</button>
      <pre>${a.yaml}</pre>
    `;
  }
}
customElements.define("artwork-detail", ArtworkDetail);
