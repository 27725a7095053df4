// The live preview of an Artwork being rendered, relayed by the operator from the worker: a JSON
// message per frame (step, variation) followed by the JPEG, and the final image at the end. A
// stream that drops while the Artwork still renders (its worker went away) is opened again.
import { LitElement, css, html } from "lit";
import { artworkPath, token } from "./api.ts";
import { shared } from "./styles.ts";

const BEARER_PROTOCOL_PREFIX = "base64url.bearer.authorization.k8s.io.";
const REOPEN_MS = 1500;

interface FrameMeta {
  type: "preview" | "final" | "failed";
  step?: number;
  totalSteps?: number;
  variation?: number;
  variations?: number;
  message?: string;
}

function base64url(s: string) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export class PreviewStream extends LitElement {
  static override properties = {
    namespace: {},
    name: {},
    frame: { state: true },
    meta: { state: true },
    frames: { state: true },
  };
  static override styles = [
    shared,
    css`
      figure {
        margin: 0;
      }
      img {
        max-width: 100%;
        width: 512px;
        border-radius: 12px;
        display: block;
        background: #2d2155;
        aspect-ratio: 1;
        object-fit: contain;
      }
    `,
  ];

  declare namespace: string;
  declare name: string;
  declare frame: string | undefined;
  declare meta: FrameMeta | undefined;
  /** Every frame's "variation:step", in the order they came (the tests read it). */
  declare frames: string[];
  private socket?: WebSocket;
  private pending?: FrameMeta;
  private done = false;

  constructor() {
    super();
    this.frames = [];
  }

  override connectedCallback() {
    super.connectedCallback();
    this.open();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.done = true;
    this.socket?.close();
    if (this.frame) URL.revokeObjectURL(this.frame);
  }

  private open() {
    const t = token();
    const protocols = ["aria.stream.v1", ...(t ? [BEARER_PROTOCOL_PREFIX + base64url(t)] : [])];
    const url = `wss://${location.host}/api${artworkPath(this.namespace, this.name)}/stream`;
    const ws = new WebSocket(url, protocols);
    ws.binaryType = "blob";
    this.socket = ws;
    ws.onmessage = (e: MessageEvent<string | Blob>) => {
      if (typeof e.data === "string") {
        const meta = JSON.parse(e.data) as FrameMeta;
        if (meta.type === "failed") this.meta = meta;
        else this.pending = meta;
        if (meta.type !== "preview") this.done = true;
        return;
      }
      const meta = this.pending;
      if (!meta) return;
      if (this.frame) URL.revokeObjectURL(this.frame);
      this.frame = URL.createObjectURL(e.data);
      this.meta = meta;
      if (meta.type === "preview") this.frames = [...this.frames, `${meta.variation}:${meta.step}`];
      this.dispatchEvent(
        new CustomEvent("aria-preview-frame", { detail: meta, bubbles: true, composed: true }),
      );
    };
    ws.onclose = (e) => {
      // 1000 ends a finished stream; anything else may be a worker lost mid-render.
      if (!this.done && e.code !== 1000 && this.isConnected) setTimeout(() => this.open(), REOPEN_MS);
      this.dispatchEvent(new CustomEvent("closed"));
    };
  }

  override render() {
    const m = this.meta;
    const label =
      m?.type === "preview"
        ? `Candidate ${(m.variation ?? 0) + 1} of ${m.variations}, step ${m.step} of ${m.totalSteps}`
        : m?.type === "final"
          ? "The chosen image"
          : m?.type === "failed"
            ? `Failed: ${m.message}`
            : "Waiting for a worker…";
    return html`<figure>
      ${
        this.frame
          ? html`<img src=${this.frame} alt="Live preview" data-frames=${this.frames.join(",")} />`
          : html`<img alt="" />`
      }
      <figcaption class="muted" role="status">${label}</figcaption>
    </figure>`;
  }
}
customElements.define("preview-stream", PreviewStream);
