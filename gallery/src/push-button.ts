// "Notify me when it's ready": subscribes this browser to Web Push with the operator's VAPID key
// and hands the subscription to the operator, which sends one notification when the Artwork is done.
import { LitElement, html } from "lit";
import { api, artworkPath, post } from "./api.ts";
import { shared } from "./styles.ts";

function keyBytes(base64url: string) {
  const raw = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

export class PushButton extends LitElement {
  static override properties = { namespace: {}, name: {}, state: { state: true } };
  static override styles = [shared];

  declare namespace: string;
  declare name: string;
  declare state: "unavailable" | "idle" | "subscribed" | string;

  constructor() {
    super();
    this.state = "PushManager" in window && "serviceWorker" in navigator ? "idle" : "unavailable";
  }

  private async subscribe() {
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        this.state = "Notifications are blocked for this site.";
        return;
      }
      const { publicKey } = await api<{ publicKey: string }>("/push/key");
      const registration = await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(publicKey),
      });
      await post(`${artworkPath(this.namespace, this.name)}/push-subscriptions`, {
        subscription: subscription.toJSON(),
      });
      this.state = "subscribed";
    } catch (err) {
      this.state = `Could not subscribe: ${(err as Error).message}`;
    }
  }

  override render() {
    if (this.state === "unavailable") return html``;
    if (this.state === "subscribed") return html`<p class="muted" role="status">You will be notified.</p>`;
    return html`<button @click=${this.subscribe}>Notify me when it's ready</button>
      ${this.state !== "idle" ? html`<p class="muted" role="status">${this.state}</p>` : ""}`;
  }
}
customElements.define("push-button", PushButton);
