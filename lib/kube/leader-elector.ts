// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics, so only one operator
// replica reconciles at a time and a standby takes over when the leader dies or steps down.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { isConflict, isNotFound } from "./kube-errors.ts";
import type { Logger } from "../observability/logger.ts";
import { keyToString } from "./object-key.ts";
import { Sleeper } from "./sleeper.ts";
import { observedExpiry, observeLease, type LeaseObservation } from "./lease-observation.ts";

export interface LeaderElectorOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  /** Unique per replica (pod name plus a random suffix); the Lease's holderIdentity. */
  identity: string;
  /** How long a lease is valid after its last renewal; standbys wait this long for a dead leader. */
  leaseDurationMs?: number;
  /** A leader that cannot renew for this long stops leading (must be < leaseDurationMs). */
  renewDeadlineMs?: number;
  /** Pause between acquire and renew attempts. */
  retryPeriodMs?: number;
  /** Clear the lease on stop() so a standby takes over at once (client-go's ReleaseOnCancel). */
  releaseOnStop?: boolean;
  onStartedLeading?: () => void | Promise<void>;
  onStoppedLeading?: () => void | Promise<void>;
  logger: Logger;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly options: LeaderElectorOptions;
  private readonly log: Logger;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leading = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly sleeper = new Sleeper();
  /** The Lease record last read or written, and the local time it was first seen (client-go's observedTime). */
  private observed: LeaseObservation | undefined;

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.api = options.kc.makeApiClient(CoordinationV1Api);
    this.log = options.logger.child({
      lease: keyToString(options),
      identity: options.identity,
    });
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) {
      throw new Error("renewDeadlineMs must be shorter than leaseDurationMs");
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until this replica leads, renews while it does, and resolves when stop() is called or
   * leadership is lost. After a loss the caller should exit (as controller-runtime does): caches and
   * in-flight work may already be stale against the new leader's writes.
   */
  run(): Promise<void> {
    this.running ??= this.campaign();
    return this.running;
  }

  /** Stops campaigning or leading; releases the lease unless releaseOnStop is false. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    await this.running;
  }

  private async campaign() {
    while (!this.stopped && !(await this.attempt())) await this.sleeper.sleep(this.retryPeriodMs);
    if (this.stopped) return;
    this.leading = true;
    this.log.info("acquired leadership");
    this.notify(this.options.onStartedLeading);

    let lastRenew = Date.now();
    while (!this.stopped) {
      await this.sleeper.sleep(this.retryPeriodMs);
      if (this.stopped) break;
      const remaining = this.renewDeadlineMs - (Date.now() - lastRenew);
      const renewed = await withTimeout(this.attempt(), Math.max(remaining, 0));
      if (renewed === "taken") {
        this.log.warn("lost leadership: another replica holds the lease");
        break;
      }
      if (renewed === true) lastRenew = Date.now();
      else if (Date.now() - lastRenew >= this.renewDeadlineMs) {
        this.log.warn(
          { renewDeadlineMs: this.renewDeadlineMs },
          "lost leadership: lease not renewed in time",
        );
        break;
      }
    }
    if (this.stopped && this.options.releaseOnStop !== false) await this.release();
    this.leading = false;
    this.notify(this.options.onStoppedLeading);
  }

  /**
   * One acquire-or-renew round trip. True when this replica holds the lease afterwards, "taken" when
   * another live holder has it, false on a lost race or API failure.
   */
  private async attempt(): Promise<boolean | "taken"> {
    const { namespace, name, identity } = this.options;
    const now = new V1MicroTime();
    const leaseDurationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    try {
      let lease: V1Lease;
      try {
        lease = await this.api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const created = await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        });
        this.observed = observeLease(undefined, created, Date.now());
        return true;
      }
      this.observed = observeLease(this.observed, lease, Date.now());
      const spec = lease.spec ?? {};
      const holder = spec.holderIdentity ?? "";
      const ours = holder === identity;
      if (holder && !ours && !leaseExpired(this.observed, spec.leaseDurationSeconds, Date.now())) {
        return this.leading ? "taken" : false;
      }
      lease.spec = {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: now,
        acquireTime: ours ? asMicroTime(spec.acquireTime) : now,
        leaseTransitions: ours ? spec.leaseTransitions : (spec.leaseTransitions ?? 0) + 1,
      };
      if (!ours) this.log.info({ previousHolder: holder || undefined }, "took over lease");
      // The read's resourceVersion makes the replace fail with 409 if anyone wrote in between.
      const written = await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      this.observed = observeLease(this.observed, written, Date.now());
      return true;
    } catch (err) {
      // 409: another replica created or updated the lease first; it won this round.
      if (isConflict(err)) return false;
      this.log.warn({ err }, "lease update failed");
      return false;
    }
  }

  private async release() {
    const { namespace, name, identity } = this.options;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== identity) return;
      const now = new V1MicroTime();
      lease.spec = {
        ...lease.spec,
        holderIdentity: undefined,
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
      };
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      this.log.info("released lease");
    } catch (err) {
      this.log.warn({ err }, "lease release failed; a standby takes over once it expires");
    }
  }

  private notify(callback: (() => void | Promise<void>) | undefined) {
    if (!callback) return;
    Promise.resolve()
      .then(callback)
      .catch((err: unknown) => this.log.error({ err }, "leader election callback threw"));
  }
}

/**
 * Whether another holder's lease has lapsed: its record has not changed for a lease duration since
 * this replica observed it (client-go's observedTime + leaseDuration < now). The holder's renewTime
 * is never compared with the local clock, so a leader whose clock is skewed keeps its lease as long
 * as it renews, and one that stops renewing loses it one duration after its last observed renewal.
 */
export function leaseExpired(
  observation: LeaseObservation,
  leaseDurationSeconds: number | undefined,
  now: number,
): boolean {
  return observedExpiry(observation, leaseDurationSeconds) < now;
}

// The client deserializes MicroTime fields as strings; writing them back needs microsecond precision.
function asMicroTime(value: Date | string | undefined): V1MicroTime | undefined {
  return value === undefined ? undefined : new V1MicroTime(value);
}

function withTimeout<R>(promise: Promise<R>, ms: number): Promise<R | false> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}
