// When this process saw a Lease change, so expiry never compares another machine's clock with ours.
// client-go's leader election does the same: it keeps the last observed record and the local time it
// observed it change, and treats the Lease as expired once that time plus the duration has passed. A
// writer whose clock runs behind or ahead then looks exactly as alive as its renewals make it.
import type { V1Lease } from "@kubernetes/client-node";

export interface LeaseObservation {
  /** What identifies one renewal: holder, renewTime and acquireTime as the writer stored them. */
  record: string;
  /** Local time (ms since the epoch) at which this process first saw `record`. */
  observedAt: number;
}

/** The part of a Lease that changes on every renewal or hand-over. */
export function leaseRecord(lease: V1Lease): string {
  const spec = lease.spec ?? {};
  return JSON.stringify([
    spec.holderIdentity ?? "",
    stamp(spec.renewTime),
    stamp(spec.acquireTime),
    spec.leaseTransitions ?? 0,
  ]);
}

/**
 * The observation after seeing `lease` at local time `now`: unchanged while the record is the same,
 * restarted at `now` when it changed. A Lease seen for the first time counts as observed now, so a
 * process that has just started gives every holder one full duration before judging it gone.
 */
export function observeLease(previous: LeaseObservation | undefined, lease: V1Lease, now: number) {
  const record = leaseRecord(lease);
  return previous?.record === record ? previous : { record, observedAt: now };
}

/** Local time at which the observed record expires unless the holder renews it. */
export function observedExpiry(observation: LeaseObservation, leaseDurationSeconds: number | undefined) {
  return observation.observedAt + (leaseDurationSeconds ?? 0) * 1000;
}

// The client hands MicroTime fields back as strings or Dates; either identifies the renewal.
function stamp(value: Date | string | undefined): string {
  if (value === undefined) return "";
  return value instanceof Date ? value.toISOString() : String(value);
}
