// The gallery's entry: the shell, and the service worker that makes it work offline.
import { Workbox } from "workbox-window";
import { QUEUED_EVENT } from "./reaction-bar.ts";
import "./aria-app.ts";

/** While reactions wait in the queue, how often the operator is tried (Background Sync may never fire). */
const RETRY_MS = 3000;

if ("serviceWorker" in navigator) {
  const wb = new Workbox("/sw.js", { type: "module" });
  void wb.register();
  let retry: ReturnType<typeof setInterval> | undefined;
  const replay = () => void wb.messageSW({ type: "replay-reactions" }).catch(() => undefined);
  addEventListener("online", replay);
  addEventListener(QUEUED_EVENT, () => {
    retry ??= setInterval(async () => {
      // Any answer from the operator (a 404 too; never cached) means it can be reached again.
      const back = await fetch("/api/reachable", { cache: "no-store" }).then(
        () => true,
        () => false,
      );
      if (!back) return;
      clearInterval(retry);
      retry = undefined;
      replay();
    }, RETRY_MS);
  });
}
