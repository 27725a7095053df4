// The gallery's service worker (Workbox): the app shell precached, images cache-first with a cap,
// the API network-first with the last answer as fallback, reactions queued while the operator
// cannot be reached and delivered when it can (Background Sync where the browser has it, the
// page's "replay" message where not), and Web Push notifications shown.
/// <reference lib="webworker" />
import { Queue } from "workbox-background-sync";
import { CacheableResponsePlugin } from "workbox-cacheable-response";
import { ExpirationPlugin } from "workbox-expiration";
import { createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute, setCatchHandler } from "workbox-routing";
import { CacheFirst, NetworkFirst, NetworkOnly } from "workbox-strategies";

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: Array<{ url: string; revision: string | null }>;
};

const IMAGE_ENTRIES = 600;
const IMAGE_MAX_AGE_S = 30 * 86_400;
const API_TIMEOUT_S = 4;
/** A queued reaction older than this is dropped (the feedback API remembers request ids far longer). */
const QUEUE_RETENTION_MIN = 7 * 24 * 60;

precacheAndRoute(self.__WB_MANIFEST);
void self.skipWaiting();
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));

// Every page of the app is index.html; pages outside it (share pages) fall back to offline.html.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL("/index.html"), { denylist: [/^\/share\//, /^\/api\//] }),
);

registerRoute(
  ({ url }) => /^\/api\/namespaces\/[^/]+\/artworks\/[^/]+\/images\//.test(url.pathname),
  new CacheFirst({
    cacheName: "aria-images",
    plugins: [
      new CacheableResponsePlugin({ statuses: [200] }),
      new ExpirationPlugin({
        maxEntries: IMAGE_ENTRIES,
        maxAgeSeconds: IMAGE_MAX_AGE_S,
        purgeOnQuotaError: true,
      }),
    ],
  }),
);

// What workbox's BackgroundSyncPlugin does, with the queue in reach of the page's replay message.
const queue = new Queue("aria-reactions", { maxRetentionTime: QUEUE_RETENTION_MIN });
registerRoute(
  ({ url }) => url.pathname === "/api/feedback",
  new NetworkOnly({ plugins: [{ fetchDidFail: ({ request }) => queue.pushRequest({ request }) }] }),
  "POST",
);

registerRoute(
  ({ url, request }) =>
    url.pathname.startsWith("/api/") && request.method === "GET" && !url.pathname.endsWith("/stream"),
  new NetworkFirst({
    cacheName: "aria-api",
    networkTimeoutSeconds: API_TIMEOUT_S,
    plugins: [new CacheableResponsePlugin({ statuses: [200] })],
  }),
);

setCatchHandler(async ({ request }) => {
  if (request.destination === "document") return (await caches.match("/offline.html")) ?? Response.error();
  return Response.error();
});

self.addEventListener("message", (e: ExtendableMessageEvent) => {
  if ((e.data as { type?: string } | undefined)?.type !== "replay-reactions") return;
  e.waitUntil(
    queue.replayRequests().then(
      () => e.ports[0]?.postMessage({ replayed: true }),
      () => e.ports[0]?.postMessage({ replayed: false }),
    ),
  );
});

self.addEventListener("push", (e: PushEvent) => {
  const payload = (e.data?.json() ?? {}) as {
    title?: string;
    body?: string;
    url?: string;
    image?: string;
    tag?: string;
  };
  e.waitUntil(
    self.registration.showNotification(payload.title ?? "Aria", {
      body: payload.body ?? "",
      icon: "/icons/icon-192.png",
      data: { url: payload.url ?? "/" },
      ...(payload.image ? { image: payload.image } : {}),
      // A notification sent again after a failover replaces the first rather than stacking.
      ...(payload.tag ? { tag: payload.tag } : {}),
    } as NotificationOptions),
  );
});

self.addEventListener("notificationclick", (e: NotificationEvent) => {
  e.notification.close();
  const url = (e.notification.data as { url?: string } | undefined)?.url ?? "/";
  e.waitUntil(self.clients.openWindow(url));
});
