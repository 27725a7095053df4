// Why a worker should not take work, as a small set of named problems that its parts report on
// their own (models loading, the inference threads, the image store, ...). The worker is ready when
// none is set; its Lease report and /readyz both read this, so they always agree, and a change is
// announced at once so the scheduler learns of it before the next heartbeat.

export interface HealthProblem {
  /** Machine-readable, for the Lease report's `reason` (e.g. StorageUnwritable). */
  reason: string;
  message: string;
}

/** The inputs a worker's readiness combines; adding one is adding a name here. */
export type HealthSource = "models" | "inference" | "storage";

export class WorkerHealth {
  private readonly problems = new Map<HealthSource, HealthProblem>();
  private readonly listeners: Array<() => void> = [];

  /** Sets or (with undefined) clears one source's problem; listeners hear only real changes. */
  set(source: HealthSource, problem: HealthProblem | undefined): void {
    const before = this.problems.get(source);
    if (before?.reason === problem?.reason && before?.message === problem?.message) return;
    if (problem) this.problems.set(source, problem);
    else this.problems.delete(source);
    for (const listener of this.listeners) listener();
  }

  has(source: HealthSource): boolean {
    return this.problems.has(source);
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Undefined when ready. Otherwise the reason of the problem reported first (the one that made the
   * worker unready) and every problem's message, so nothing is hidden behind the first.
   */
  problem(): HealthProblem | undefined {
    const all = [...this.problems.values()];
    if (all.length === 0) return undefined;
    return { reason: all[0]!.reason, message: all.map((p) => p.message).join("; ") };
  }
}

/** Thrown for an attempt this worker will not start because of a problem: the worker's fault, not the Artwork's. */
export class WorkerUnfit extends Error {
  override readonly name = "WorkerUnfit";

  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
