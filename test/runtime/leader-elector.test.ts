// Two operator replicas contending for one Lease on a real apiserver, with short durations
// (3 s lease / 2 s renew deadline / 0.5 s retry) so hand-overs are observable in seconds.
import { CoordinationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { LeaderElector } from "../../lib/kube/leader-elector.ts";
import { createNamespace, kubeConfig } from "../support/cluster.ts";

const logger = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let kc: KubeConfig;
let ns: string;
const electors: LeaderElector[] = [];

beforeAll(async () => {
  kc = kubeConfig();
  ns = await createNamespace("leader");
});

afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop()));
});

function elector(lease: string, identity: string, releaseOnStop = true) {
  const log: string[] = [];
  const e = new LeaderElector({
    kc,
    namespace: ns,
    name: lease,
    identity,
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 500,
    releaseOnStop,
    onStartedLeading: () => void log.push("started"),
    onStoppedLeading: () => void log.push("stopped"),
    logger,
  });
  electors.push(e);
  void e.run();
  return { e, log };
}

async function until(condition: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

const readLease = (name: string) =>
  kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace: ns });

describe("LeaderElector", () => {
  it("lets exactly one of two replicas lead, and keeps it leading while it renews", async () => {
    const a = elector("exclusive", "replica-a");
    const b = elector("exclusive", "replica-b");
    await until(() => a.e.isLeader() || b.e.isLeader());
    // Watch for 4 s, longer than the lease, so a missed renewal would show up as a hand-over.
    const leader = a.e.isLeader() ? a : b;
    for (let i = 0; i < 40; i++) {
      expect([a.e.isLeader(), b.e.isLeader()].filter(Boolean)).toHaveLength(1);
      expect(leader.e.isLeader()).toBe(true);
      await sleep(100);
    }
    expect(leader.log).toEqual(["started"]);
    const lease = await readLease("exclusive");
    expect(lease.spec?.holderIdentity).toBe(leader === a ? "replica-a" : "replica-b");
    expect(lease.spec?.leaseDurationSeconds).toBe(3);
  });

  it("hands over promptly when the leader stops gracefully and releases the lease", async () => {
    const a = elector("graceful", "replica-a");
    await until(() => a.e.isLeader());
    const b = elector("graceful", "replica-b");
    await sleep(1000);
    expect(b.e.isLeader()).toBe(false);

    const stoppedAt = Date.now();
    await a.e.stop();
    expect(a.e.isLeader()).toBe(false);
    expect(a.log).toEqual(["started", "stopped"]);
    await until(() => b.e.isLeader(), 3000);
    // A released lease is free at once: the standby's next retry takes it, well inside the lease.
    expect(Date.now() - stoppedAt).toBeLessThan(1500);
    const lease = await readLease("graceful");
    expect(lease.spec?.holderIdentity).toBe("replica-b");
    expect(lease.spec?.leaseTransitions).toBe(1);
  });

  it("replaces a crashed leader only after its lease expires", async () => {
    const a = elector("crash", "replica-a", false);
    await until(() => a.e.isLeader());
    const b = elector("crash", "replica-b");
    await sleep(600);
    await a.e.stop();
    const lastRenew = new Date((await readLease("crash")).spec?.renewTime ?? 0).getTime();

    await until(() => b.e.isLeader(), 6000);
    const tookOver = Date.now();
    // Not before renewTime + 3 s (the lease was still valid), and within one retry period after.
    expect(tookOver - lastRenew).toBeGreaterThanOrEqual(3000);
    expect(tookOver - lastRenew).toBeLessThan(3000 + 1500);
    const lease = await readLease("crash");
    expect(lease.spec?.holderIdentity).toBe("replica-b");
    expect(lease.spec?.leaseTransitions).toBe(1);
  });

  it("renews its own lease without counting a transition", async () => {
    const a = elector("steady", "replica-a");
    await until(() => a.e.isLeader());
    await sleep(1500);
    const lease = await readLease("steady");
    expect(lease.spec?.holderIdentity).toBe("replica-a");
    expect(lease.spec?.leaseTransitions).toBe(0);
    const acquired = new Date(lease.spec?.acquireTime ?? 0).getTime();
    const renewed = new Date(lease.spec?.renewTime ?? 0).getTime();
    expect(renewed - acquired).toBeGreaterThanOrEqual(1000);
  });
});
