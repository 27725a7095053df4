// Ask Aria for a new Artwork: the form starts from Aria's suggestion for the mood (the model and
// the steps/guidance learning found people like), creates the Artwork, and opens it, where its
// live preview plays.
import { LitElement, css, html } from "lit";
import { MOODS } from "../../crds/artwork-moods.ts";
import { ApiError, api, artworksPath, post, type Pool, type Suggestion } from "./api.ts";
import { detailHash } from "./route.ts";
import { shared } from "./styles.ts";

const SIZES = ["512x512", "768x512", "512x768", "768x768", "1024x1024"];

export class CreateForm extends LitElement {
  static override properties = {
    namespace: {},
    pools: { state: true },
    pool: { state: true },
    mood: { state: true },
    suggestion: { state: true },
    error: { state: true },
    busy: { state: true },
  };
  static override styles = [
    shared,
    css`
      form {
        display: grid;
        gap: 0.9rem;
        max-width: 40rem;
      }
      label {
        display: grid;
        gap: 0.3rem;
      }
      .row {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr));
        gap: 0.9rem;
      }
      textarea {
        min-height: 4.5em;
      }
    `,
  ];

  declare namespace: string;
  declare pools: Pool[];
  declare pool: string | undefined;
  declare mood: string;
  declare suggestion: Suggestion | undefined;
  declare error: { message: string; field?: string } | undefined;
  declare busy: boolean;

  constructor() {
    super();
    this.pools = [];
    this.mood = "serene";
    this.busy = false;
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has("namespace")) void this.loadPools();
    if ((changed.has("pool") || changed.has("mood")) && this.pool) void this.suggest();
  }

  private async loadPools() {
    try {
      const { items } = await api<{ items: Pool[] }>(
        `/namespaces/${encodeURIComponent(this.namespace)}/pools`,
      );
      this.pools = items;
      this.pool = items[0]?.name;
    } catch (err) {
      this.error = { message: (err as Error).message };
    }
  }

  private async suggest() {
    try {
      this.suggestion = await post<Suggestion>("/suggestions", {
        namespace: this.namespace,
        pool: this.pool,
        mood: this.mood,
      });
    } catch {
      this.suggestion = undefined;
    }
  }

  private async submit(e: Event) {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const field = (k: string) => ((data.get(k) as string | null) ?? "").trim();
    const num = (k: string) => (field(k) === "" ? undefined : Number(field(k)));
    const [width, height] = field("size").split("x").map(Number);
    const body = {
      prompt: field("prompt"),
      ...(field("negativePrompt") ? { negativePrompt: field("negativePrompt") } : {}),
      mood: field("mood"),
      poolRef: { name: field("pool") },
      ...(field("model") ? { model: field("model") } : {}),
      width,
      height,
      ...(num("steps") !== undefined ? { steps: num("steps") } : {}),
      variations: num("variations"),
    };
    this.busy = true;
    try {
      const created = await post<{ name: string }>(artworksPath(this.namespace), body);
      location.hash = detailHash(this.namespace, created.name);
    } catch (err) {
      this.error = {
        message: (err as Error).message,
        ...(err instanceof ApiError && err.field ? { field: err.field } : {}),
      };
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const s = this.suggestion;
    const pool = this.pools.find((p) => p.name === this.pool);
    return html`
      <h2>Create</h2>
      ${
        this.pools.length === 0 && !this.error
          ? html`<p class="muted">
              No ModelPool in namespace ${this.namespace} yet: apply samples/01-modelpool.yaml.
            </p>`
          : ""
      }
      <form @submit=${this.submit}>
        <label
          >Prompt
          <textarea
            name="prompt"
            required
            maxlength="2000"
            placeholder="a lighthouse at dawn, watercolor"
            .value=${s?.promptPatterns.length ? s.promptPatterns.join(", ") : ""}
          ></textarea>
        </label>
        <label
          >Negative prompt
          <input name="negativePrompt" maxlength="2000" placeholder="blurry, text" />
        </label>
        <div class="row">
          <label
            >Mood
            <select name="mood" @change=${(e: Event) => (this.mood = (e.target as HTMLSelectElement).value)}>
              ${MOODS.map((m) => html`<option ?selected=${m === this.mood}>${m}</option>`)}
            </select>
          </label>
          <label
            >Pool
            <select name="pool" @change=${(e: Event) => (this.pool = (e.target as HTMLSelectElement).value)}>
              ${this.pools.map((p) => html`<option ?selected=${p.name === this.pool}>${p.name}</option>`)}
            </select>
          </label>
          <label
            >Model
            <select name="model">
              <option value="">Aria chooses${s ? ` (${s.model})` : ""}</option>
              ${(pool?.generators ?? []).map((m) => html`<option>${m}</option>`)}
            </select>
          </label>
        </div>
        <div class="row">
          <label
            >Size
            <select name="size">
              ${SIZES.map((z) => html`<option value=${z}>${z.replace("x", " × ")}</option>`)}
            </select>
          </label>
          <label
            >Steps
            <input
              name="steps"
              type="number"
              min="1"
              max="150"
              .value=${s?.steps ? String(s.steps) : ""}
              placeholder="model's default"
            />
          </label>
          <label
            >Variations
            <input name="variations" type="number" min="1" max="16" value="4" />
          </label>
        </div>
        ${
          s
            ? html`<p class="muted" data-testid="suggestion">
                Aria suggests ${s.model} for ${s.mood}
                (${s.reason === "exploit" ? "what people liked most" : "trying something new"})${
                  s.steps ? `, ${s.steps} steps, guidance ${s.guidanceScale}` : ""
                }
              </p>`
            : ""
        }
        ${
          this.error
            ? html`<p class="error" role="alert">
                ${this.error.field ? `${this.error.field}: ` : ""}${this.error.message}
              </p>`
            : ""
        }
        <p><button class="primary" type="submit" ?disabled=${this.busy}>Create</button></p>
      </form>
    `;
  }
}
customElements.define("create-form", CreateForm);
