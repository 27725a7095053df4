// Reachability from the API server's /readyz: a server that stops answering (as a frozen one does,
// accepting connections and never replying) makes the process not ready, and its return is told
// to the listeners that relist.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { ApiReachability } from "./api-reachability.ts";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** A stand-in API server whose /readyz answers only while `answering` is true; otherwise it hangs. */
async function apiServer() {
  const state = { answering: true };
  server = createServer((req, res) => {
    if (!state.answering) return;
    res.end(req.url === "/readyz" ? "ok" : "");
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: "c",
        server: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return { kc, state };
}

describe("ApiReachability", () => {
  it("is not ready once the API server stops answering, and tells its listeners when it is back", async () => {
    const { kc, state } = await apiServer();
    const api = new ApiReachability({ kc, log: pino({ level: "silent" }), timeoutMs: 100 });
    let reconnects = 0;
    api.onReconnect(() => reconnects++);
    expect(api.notReachableReason()).toContain("not probed yet");
    await api.probe();
    expect(api.notReachableReason()).toBeUndefined();
    const reached = api.lastReachedAt();

    state.answering = false;
    // One slow answer is not an outage; two in a row are.
    await api.probe();
    expect(api.notReachableReason()).toBeUndefined();
    await api.probe();
    expect(api.notReachableReason()).toMatch(/Kubernetes API unreachable: GET \/readyz timed out/);
    expect(api.lastReachedAt()).toBe(reached);
    expect(reconnects).toBe(0);

    state.answering = true;
    await api.probe();
    expect(api.notReachableReason()).toBeUndefined();
    expect(api.lastReachedAt()).toBeGreaterThanOrEqual(reached);
    expect(reconnects).toBe(1);
  });
});
