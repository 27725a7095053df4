// The leader elector judges another holder's lease by when this replica saw it change (client-go's
// observedTime), never by the holder's renewTime against the local clock. Driven against an
// in-memory Lease with fake timers, so the decision is pinned to the millisecond.
import type { KubeConfig, V1Lease } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { leaseExpired, LeaderElector } from "./leader-elector.ts";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const LEASE_MS = 3000;
const RETRY_MS = 500;

/** One Lease in memory behind the CoordinationV1Api calls the elector makes, with resourceVersion checks. */
function fakeCluster() {
  let stored: V1Lease | undefined;
  let version = 0;
  const apiError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });
  const api = {
    readNamespacedLease: () =>
      stored ? Promise.resolve(structuredClone(stored)) : Promise.reject(apiError(404)),
    createNamespacedLease: ({ body }: { body: V1Lease }) => {
      if (stored) return Promise.reject(apiError(409));
      stored = {
        ...structuredClone(body),
        metadata: { ...body.metadata, resourceVersion: String(++version) },
      };
      return Promise.resolve(structuredClone(stored));
    },
    replaceNamespacedLease: ({ body }: { body: V1Lease }) => {
      if (body.metadata?.resourceVersion !== stored?.metadata?.resourceVersion) {
        return Promise.reject(apiError(409));
      }
      stored = {
        ...structuredClone(body),
        metadata: { ...body.metadata, resourceVersion: String(++version) },
      };
      return Promise.resolve(structuredClone(stored));
    },
  };
  const kc = { makeApiClient: () => api } as unknown as KubeConfig;
  /** Another replica holding the lease, renewing with its own clock `skewMs` off ours. */
  const renewAs = (holder: string, skewMs: number) => {
    const renewTime = new Date(Date.now() + skewMs).toISOString() as unknown as Date;
    stored = {
      metadata: { name: "lead", namespace: "ns", resourceVersion: String(++version) },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: LEASE_MS / 1000,
        acquireTime: renewTime,
        renewTime,
        leaseTransitions: 0,
      },
    };
  };
  return { kc, renewAs, holder: () => stored?.spec?.holderIdentity };
}

const electors: LeaderElector[] = [];
function standby(kc: KubeConfig) {
  const e = new LeaderElector({
    kc,
    namespace: "ns",
    name: "lead",
    identity: "standby",
    leaseDurationMs: LEASE_MS,
    renewDeadlineMs: 2000,
    retryPeriodMs: RETRY_MS,
    logger: pino({ level: "silent" }),
  });
  electors.push(e);
  void e.run();
  return e;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(async () => {
  const stopping = Promise.all(electors.splice(0).map((e) => e.stop()));
  await vi.runAllTimersAsync();
  await stopping;
  vi.useRealTimers();
});

describe("leaseExpired", () => {
  it("counts from when the record was observed, plus the lease duration", () => {
    const observation = { record: "r", observedAt: NOW };
    expect(leaseExpired(observation, 3, NOW + 3000)).toBe(false);
    expect(leaseExpired(observation, 3, NOW + 3001)).toBe(true);
  });
});

describe("LeaderElector", () => {
  it("leaves the lease to a leader that renews with a clock 60 s behind", async () => {
    const cluster = fakeCluster();
    cluster.renewAs("leader", -60_000);
    const e = standby(cluster.kc);
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      cluster.renewAs("leader", -60_000);
      expect(e.isLeader()).toBe(false);
    }
    expect(cluster.holder()).toBe("leader");
  });

  it("takes over one lease duration after the last observed renewal, even from a clock 60 s ahead", async () => {
    const cluster = fakeCluster();
    cluster.renewAs("leader", 60_000);
    const e = standby(cluster.kc);
    await vi.advanceTimersByTimeAsync(1000);
    cluster.renewAs("leader", 60_000); // its last renewal
    const lastRenewal = Date.now();
    await vi.advanceTimersByTimeAsync(LEASE_MS - 100);
    expect(e.isLeader()).toBe(false);
    // Observed at the next retry after the renewal, expired a duration later, taken at the retry after.
    await vi.advanceTimersByTimeAsync(2 * RETRY_MS + 200);
    expect(e.isLeader()).toBe(true);
    expect(cluster.holder()).toBe("standby");
    expect(Date.now() - lastRenewal).toBeLessThanOrEqual(LEASE_MS + 2 * RETRY_MS + 100);
  });

  it("after starting, waits a full duration before taking a lease whose renewTime looks old", async () => {
    const cluster = fakeCluster();
    cluster.renewAs("leader", -3_600_000);
    const e = standby(cluster.kc);
    await vi.advanceTimersByTimeAsync(LEASE_MS - 100);
    expect(e.isLeader()).toBe(false);
    await vi.advanceTimersByTimeAsync(RETRY_MS + 200);
    expect(e.isLeader()).toBe(true);
  });
});
