// Worker liveness is judged by when the operator saw each heartbeat Lease change, never by the
// worker's renewTime against the operator's clock: skewed workers stay alive while they renew and
// are lost one lease duration after their last observed renewal.
import type { V1Lease } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  COMPONENT_LABEL,
  POOL_LABEL,
  WORKER_COMPONENT,
  WORKER_REPORT_ANNOTATION,
} from "../../crds/worker-protocol.ts";
import { NAMESPACE, NOW, POOL } from "../../test/fixtures/operator-objects.ts";
import { WorkerRegistry, type LeaseSource } from "./worker-registry.ts";
import { isAlive, workerFromLease } from "./worker-view.ts";

const LEASE_SECONDS = 3;

/** A worker's Lease as it writes it with its own clock `skewMs` off ours (negative: behind). */
function lease(id: string, skewMs: number, resourceVersion = 1): V1Lease {
  const renewTime = new Date(Date.now() + skewMs).toISOString();
  return {
    metadata: {
      name: `aria-worker-${POOL}-${id}`,
      namespace: NAMESPACE,
      resourceVersion: String(resourceVersion),
      labels: { [POOL_LABEL]: POOL, [COMPONENT_LABEL]: WORKER_COMPONENT },
      annotations: { [WORKER_REPORT_ANNOTATION]: JSON.stringify({ ready: true, capacity: 1, models: [] }) },
    },
    spec: {
      holderIdentity: id,
      leaseDurationSeconds: LEASE_SECONDS,
      acquireTime: renewTime as unknown as Date,
      renewTime: renewTime as unknown as Date,
    },
  };
}

/** The Lease informer: a list plus add/update/delete handlers the test fires. */
function leaseSource(initial: V1Lease[] = []) {
  const leases = new Map(initial.map((l) => [l.metadata!.name!, l]));
  const handlers: Record<string, ((l: V1Lease) => void)[]> = { add: [], update: [], delete: [] };
  const source = {
    on: (event: string, handler: (l: V1Lease) => void) => handlers[event]!.push(handler),
    list: () => [...leases.values()],
  } as unknown as LeaseSource;
  const put = (l: V1Lease) => {
    const event = leases.has(l.metadata!.name!) ? "update" : "add";
    leases.set(l.metadata!.name!, l);
    for (const h of handlers[event]!) h(l);
  };
  return { source, put };
}

function registry(initial: V1Lease[] = [], lastContact?: () => number) {
  const { source, put } = leaseSource(initial);
  const r = new WorkerRegistry(source, 100, undefined, lastContact);
  const lost: string[] = [];
  r.onChange((w, alive) => {
    if (!alive) lost.push(w.id);
  });
  r.start();
  return { r, put, lost, alive: (id: string) => isAlive(r.get(NAMESPACE, id)!) };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("workerFromLease", () => {
  it("expires one lease duration after the Lease was observed, whatever its renewTime says", () => {
    for (const skewMs of [-60_000, 0, 60_000]) {
      const w = workerFromLease(lease("w", skewMs), { record: "r", observedAt: NOW });
      expect(w?.expiresAt).toBe(NOW + LEASE_SECONDS * 1000);
    }
  });
});

describe("WorkerRegistry", () => {
  it("keeps a worker that renews with a clock 60 s behind alive", async () => {
    const { put, lost, alive } = registry();
    put(lease("slow", -60_000, 1));
    for (let i = 2; i <= 20; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      put(lease("slow", -60_000, i));
      expect(alive("slow")).toBe(true);
    }
    await vi.advanceTimersByTimeAsync(LEASE_SECONDS * 1000 - 500);
    expect(alive("slow")).toBe(true);
    expect(lost).toEqual([]);
  });

  it("loses a worker one lease duration after its last observed renewal, even with a clock 60 s ahead", async () => {
    const { put, lost, alive } = registry();
    put(lease("fast", 60_000, 1));
    await vi.advanceTimersByTimeAsync(1000);
    put(lease("fast", 60_000, 2)); // its last renewal
    await vi.advanceTimersByTimeAsync(LEASE_SECONDS * 1000 - 200);
    expect(alive("fast")).toBe(true);
    expect(lost).toEqual([]);
    await vi.advanceTimersByTimeAsync(400);
    expect(alive("fast")).toBe(false);
    expect(lost).toEqual(["fast"]);
  });

  it("does not count an unchanged Lease delivered again (a resync) as a renewal", async () => {
    const { put, lost } = registry();
    const l = lease("stuck", 0, 1);
    put(l);
    await vi.advanceTimersByTimeAsync(2000);
    put(structuredClone(l));
    await vi.advanceTimersByTimeAsync(LEASE_SECONDS * 1000 - 2000 + 200);
    expect(lost).toEqual(["stuck"]);
  });

  it("after a restart, gives every Lease it finds one full duration before declaring its worker lost", async () => {
    // A worker whose renewTime is an hour old: dead long ago, or alive with a clock an hour behind.
    const { lost, alive } = registry([lease("old", -3_600_000)]);
    expect(alive("old")).toBe(true);
    await vi.advanceTimersByTimeAsync(LEASE_SECONDS * 1000 - 200);
    expect(alive("old")).toBe(true);
    expect(lost).toEqual([]);
    await vi.advanceTimersByTimeAsync(400);
    expect(lost).toEqual(["old"]);
  });

  it("loses no worker while this operator cannot reach the API server, and gives each a full lease after", async () => {
    // The API server answers until `outageAt`, then not for 60 s: renewals made meanwhile are unseen.
    let contact = NOW;
    const { r, put, lost, alive } = registry([], () => contact);
    put(lease("w", 0, 1));
    await vi.advanceTimersByTimeAsync(1000);
    contact = Date.now();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(alive("w")).toBe(true);
    expect(lost).toEqual([]);
    // Back: every Lease counts as observed now, so the worker has a full lease to be seen renewing.
    contact = Date.now();
    r.restartObservations();
    await vi.advanceTimersByTimeAsync(LEASE_SECONDS * 1000 - 200);
    expect(alive("w")).toBe(true);
    expect(lost).toEqual([]);
    put(lease("w", 0, 2));
    expect(alive("w")).toBe(true);
    // A worker that really stopped renewing is lost once the API server has been reached after its lease.
    await vi.advanceTimersByTimeAsync(LEASE_SECONDS * 1000 + 200);
    expect(lost).toEqual([]);
    contact = Date.now();
    await vi.advanceTimersByTimeAsync(200);
    expect(lost).toEqual(["w"]);
  });
});
