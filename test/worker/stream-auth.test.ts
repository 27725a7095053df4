// Preview streams as a stranger, a neighbour and a greedy or slow client meet them: a stream opens
// only with a Kubernetes token allowed to get that Artwork, over HTTPS; sockets are capped per
// user, idle ones are closed and a reader that falls behind is dropped, not buffered for.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createArtwork, createPool, eventually, getArtwork, isReady } from "../support/artworks.ts";
import { controlPlane, createNamespace, grant, servingTls, user } from "../support/cluster.ts";
import { openStream, type OpenStream } from "../support/https.ts";
import { scrapeMetric } from "../support/metrics.ts";
import { startOperator, startWorker, stopAll, type WorkerProc } from "../support/processes.ts";
import { waitForWorkerReady } from "../support/waits.ts";

const PER_CLIENT = 2;
const TOTAL = 3;
const IDLE_SECONDS = 10;
const MAX_BUFFERED = 64 * 1024;

let ns: string;
let worker: WorkerProc;

const as = (user: "alice" | "bob" | "admin") => ({ ca: servingTls().ca, token: controlPlane().tokens[user] });

/** The HTTP status a refused stream was answered with (0 when it opened). */
async function refusal(open: Promise<OpenStream>) {
  try {
    (await open).socket.close();
    return 0;
  } catch (err) {
    return (err as { status?: number }).status ?? -1;
  }
}

beforeAll(async () => {
  ns = await createNamespace("streams");
  startOperator(ns);
  await createPool(ns, "studio");
  worker = startWorker(ns, "studio", "w1", [
    "--max-streams",
    String(TOTAL),
    "--max-streams-per-client",
    String(PER_CLIENT),
    "--stream-idle-seconds",
    String(IDLE_SECONDS),
    "--stream-max-buffered-bytes",
    String(MAX_BUFFERED),
  ]);
  // alice may get Artworks in this namespace; bob is a known user with no rights here.
  await grant(
    ns,
    "artwork-viewer",
    [{ apiGroups: ["aria.dev"], resources: ["artworks"], verbs: ["get"] }],
    user("alice"),
  );
  await waitForWorkerReady(worker);
});
afterAll(stopAll);

describe("preview stream authorization", () => {
  it("answers 401 without a token or with one the API server does not know", async () => {
    expect(await refusal(openStream(worker, ns, "anything", { ca: servingTls().ca }))).toBe(401);
    expect(
      await refusal(openStream(worker, ns, "anything", { ca: servingTls().ca, token: "not-a-token" })),
    ).toBe(401);
  });

  it("takes the token as a WebSocket subprotocol, as browsers send it, and answers in the other one", async () => {
    const token = Buffer.from(controlPlane().tokens.alice).toString("base64url");
    const socket = new WebSocket(
      `wss://127.0.0.1:${await worker.securePort()}/artworks/${ns}/anything/stream`,
      ["aria.stream.v1", `base64url.bearer.authorization.k8s.io.${token}`],
      { ca: servingTls().ca },
    );
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    expect(socket.protocol).toBe("aria.stream.v1");
    socket.close();
    await new Promise((resolve) => socket.once("close", resolve));
  });

  it("answers 403 to a user who may not get Artworks in the namespace", async () => {
    expect(await refusal(openStream(worker, ns, "anything", as("bob")))).toBe(403);
  });

  it("opens for a user allowed to get the Artwork, who sees the previews and the final image", async () => {
    const stream = await openStream(worker, ns, "lantern", as("alice"));
    await createArtwork(ns, "lantern", {
      prompt: "a paper lantern at dusk",
      poolRef: { name: "studio" },
      variations: 1,
      width: 128,
      height: 128,
      steps: 12,
    });
    await stream.closed;
    const final = stream.messages.at(-1);
    expect(final?.meta.type).toBe("final");
    expect(stream.messages.filter((m) => m.meta.type === "preview").length).toBeGreaterThanOrEqual(2);
    const art = await eventually(() => getArtwork(ns, "lantern"), isReady, 30_000);
    expect(createHash("sha256").update(final!.data!).digest("hex")).toBe(art.status?.candidates?.[0]?.sha256);
  });
});

describe("preview stream limits", () => {
  it(`refuses a user's stream beyond ${PER_CLIENT} with 429 and any beyond ${TOTAL} with 503`, async () => {
    // Streams of the tests before have ended as the worker sees it.
    await eventually(
      () => scrapeMetric(worker, "aria_preview_streams"),
      (open) => open === 0,
      10_000,
    );
    const held = await Promise.all(
      Array.from({ length: PER_CLIENT }, (_, i) => openStream(worker, ns, `waiting-${i}`, as("alice"))),
    );
    expect(await refusal(openStream(worker, ns, "one-more", as("alice")))).toBe(429);
    // Another user is not held back by alice's streams, up to the worker's total.
    const admins = await openStream(worker, ns, "one-more", as("admin"));
    expect(await refusal(openStream(worker, ns, "one-more", as("admin")))).toBe(503);
    admins.socket.close();
    held[0]!.socket.close();
    await Promise.all([admins.closed, held[0]!.closed]);
    // Freed slots are taken again.
    await eventually(
      () => refusal(openStream(worker, ns, "one-more", as("alice"))),
      (status) => status === 0,
      10_000,
    );
    for (const s of held) s.socket.close();
    await Promise.all(held.map((s) => s.closed));
  });

  it("closes a stream that was sent nothing for the idle timeout", async () => {
    const stream = await openStream(worker, ns, "never-created", as("alice"));
    const opened = Date.now();
    const code = await stream.closed;
    expect(code).toBe(4408);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(IDLE_SECONDS * 1000 - 500);
  });

  it("drops a reader that stops reading instead of buffering the render for it", async () => {
    const stream = await openStream(worker, ns, "mural", as("alice"));
    stream.socket.pause();
    // Loopback's kernel buffers take ~4 MB of an unread socket before anything waits in the
    // worker: the full-size previews of this render (48 JPEGs of ~135 KB) overflow them.
    await createArtwork(ns, "mural", {
      prompt: "a vast mural of a crowded harbour",
      poolRef: { name: "studio" },
      variations: 4,
      width: 1536,
      height: 1536,
      steps: 48,
    });
    await eventually(() => getArtwork(ns, "mural"), isReady, 300_000, 1000);
    expect(await scrapeMetric(worker, "aria_preview_streams_dropped_total", { reason: "slow" })).toBe(1);
    // What the kernel had taken before the drop still arrives, then the stream ends without the
    // final image: the worker stopped writing to it.
    stream.socket.resume();
    await stream.closed;
    expect(stream.messages.some((m) => m.meta.type === "final")).toBe(false);
  });
});
