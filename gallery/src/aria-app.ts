// The app's shell: navigation, the namespace, the token dialog when the API asks for one, and
// the view the URL names.
import { LitElement, css, html } from "lit";
import { onUnauthorized, setToken, token } from "./api.ts";
import { parseRoute, type Route } from "./route.ts";
import { shared } from "./styles.ts";
import "./artwork-grid.ts";
import "./artwork-detail.ts";
import "./create-form.ts";

const NAMESPACE_KEY = "aria-namespace";

/** The dashboard and its charting library load when Learn is first opened, not with the grid. */
let dashboard: Promise<unknown> | undefined;
function loadDashboard() {
  // A failed load (offline before it was ever cached) is tried again on the next visit.
  dashboard ??= import("./learn-dashboard.ts").catch(() => (dashboard = undefined));
}

export class AriaApp extends LitElement {
  static override properties = {
    route: { state: true },
    namespace: { state: true },
    askToken: { state: true },
    offline: { state: true },
  };
  static override styles = [
    shared,
    css`
      header {
        display: flex;
        flex-wrap: wrap;
        gap: 1rem;
        align-items: center;
        padding: 0.8rem 1.2rem;
        background: #1b1238;
        position: sticky;
        top: 0;
        z-index: 2;
      }
      header h1 {
        font-size: 1.25rem;
        margin: 0 1rem 0 0;
      }
      nav {
        display: flex;
        gap: 0.4rem;
      }
      nav a {
        text-decoration: none;
        padding: 0.35em 0.9em;
        border-radius: 999px;
        color: #eee8ff;
      }
      nav a[aria-current="page"] {
        background: #b03a6c;
      }
      .spacer {
        flex: 1;
      }
      main {
        padding: 1rem 1.2rem 3rem;
      }
      dialog {
        background: #1d1540;
        color: inherit;
        border: 1px solid #4a3a85;
        border-radius: 12px;
        max-width: 32rem;
      }
      dialog textarea {
        width: 100%;
        box-sizing: border-box;
        min-height: 6em;
      }
      .offline {
        background: #5a3b00;
        padding: 0.3rem 1.2rem;
      }
    `,
  ];

  declare route: Route;
  declare namespace: string;
  declare askToken: boolean;
  declare offline: boolean;

  constructor() {
    super();
    this.namespace = localStorage.getItem(NAMESPACE_KEY) ?? "default";
    this.askToken = false;
    this.offline = !navigator.onLine;
    this.route = { view: "grid" };
    this.follow();
    addEventListener("hashchange", () => this.follow());
    addEventListener("online", () => (this.offline = false));
    addEventListener("offline", () => (this.offline = true));
    onUnauthorized(() => (this.askToken = true));
  }

  private follow() {
    const { namespace, route } = parseRoute(location.hash);
    if (namespace) this.useNamespace(namespace);
    this.route = route;
  }

  private useNamespace(ns: string) {
    this.namespace = ns;
    localStorage.setItem(NAMESPACE_KEY, ns);
  }

  private saveToken(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const value = (new FormData(form).get("token") as string | null)?.trim();
    setToken(value || undefined);
    this.askToken = false;
    // Everything on screen was refused: read it again with the token.
    location.reload();
  }

  override updated() {
    const dialog = this.renderRoot.querySelector("dialog");
    if (dialog && this.askToken && !dialog.open) dialog.showModal();
  }

  override render() {
    const v = this.route.view;
    const current = (view: string) => (v === view ? "page" : undefined);
    return html`
      <header>
        <h1>Aria</h1>
        <nav aria-label="Views">
          <a href="#/${this.namespace}" aria-current=${current("grid") ?? "false"}>Gallery</a>
          <a href="#/create" aria-current=${current("create") ?? "false"}>Create</a>
          <a href="#/learn" aria-current=${current("learn") ?? "false"}>Learn</a>
        </nav>
        <span class="spacer"></span>
        <label
          >Namespace
          <input
            name="namespace"
            .value=${this.namespace}
            size="12"
            @change=${(e: Event) => {
              this.useNamespace((e.target as HTMLInputElement).value.trim() || "default");
              location.hash = `#/${this.namespace}`;
            }}
        /></label>
        <button @click=${() => (this.askToken = true)}>${token() ? "Token ✓" : "Sign in"}</button>
      </header>
      ${this.offline ? html`<div class="offline" role="status">Offline: showing what was seen before.</div>` : ""}
      <main>${this.view()}</main>
      ${
        this.askToken
          ? html`<dialog @close=${() => (this.askToken = false)}>
              <form @submit=${this.saveToken}>
                <h2>Sign in with a Kubernetes token</h2>
                <p class="muted">
                  The token stays in this browser. Make one with
                  <code>kubectl create token &lt;serviceaccount&gt;</code>, or put Aria behind your OIDC
                  proxy.
                </p>
                <textarea name="token" aria-label="Kubernetes bearer token" required></textarea>
                <p><button class="primary" type="submit">Save</button></p>
              </form>
            </dialog>`
          : ""
      }
    `;
  }

  private view() {
    switch (this.route.view) {
      case "detail":
        return html`<artwork-detail .namespace=${this.namespace} .name=${this.route.name}></artwork-detail>`;
      case "create":
        return html`<create-form .namespace=${this.namespace}></create-form>`;
      case "learn":
        loadDashboard();
        return html`<learn-dashboard .namespace=${this.namespace}></learn-dashboard>`;
      default:
        return html`<artwork-grid .namespace=${this.namespace}></artwork-grid>`;
    }
  }
}
customElements.define("aria-app", AriaApp);
