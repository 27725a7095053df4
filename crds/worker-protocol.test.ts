import { describe, expect, it } from "vitest";
import {
  heartbeatIntervalMs,
  WORKER_HEARTBEAT_MS,
  WORKER_LEASE_DURATION_SECONDS,
} from "./worker-protocol.ts";

describe("heartbeatIntervalMs", () => {
  it("renews every third of the lease, so two renewals may be lost before the worker is presumed gone", () => {
    expect(heartbeatIntervalMs(3)).toBe(1000);
    expect(heartbeatIntervalMs(30)).toBe(10_000);
    expect(WORKER_HEARTBEAT_MS).toBe(heartbeatIntervalMs(WORKER_LEASE_DURATION_SECONDS));
    expect(WORKER_HEARTBEAT_MS).toBe(5000);
  });

  it("never renews more than once a second", () => {
    expect(heartbeatIntervalMs(1)).toBe(1000);
  });
});
