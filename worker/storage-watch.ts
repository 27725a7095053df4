// Keeps the worker's readiness in step with its image store: checked on a timer and at once when a
// write fails, so a full or read-only volume takes the worker out of scheduling before the next
// Artwork is bound to it, and puts it back when the volume recovers.
import type { Logger } from "../lib/observability/logger.ts";
import type { CheckableStore, StoreHealth } from "../lib/storage/store-health.ts";
import type { WorkerHealth } from "./worker-health.ts";

export class StorageWatch {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly store: CheckableStore,
    private readonly health: WorkerHealth,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  /** Checks once (so the first report already says), then every intervalMs. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Checks now; concurrent callers share one check. */
  check(): Promise<void> {
    this.checking ??= this.store
      .checkHealth()
      .then((h) => this.record(h))
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  private record(h: StoreHealth) {
    const wasOk = this.health.has("storage") === false;
    if (h.ok) {
      this.health.set("storage", undefined);
      if (!wasOk)
        this.log.info({ storage: this.store.root, freeBytes: h.freeBytes }, "image storage recovered");
      return;
    }
    const reason = h.problem === "full" ? "StorageFull" : "StorageUnwritable";
    this.health.set("storage", { reason, message: h.reason ?? `${this.store.root} is not usable` });
    if (wasOk)
      this.log.error(
        { storage: this.store.root, reason, err: h.reason },
        "image storage became unusable; worker not ready",
      );
  }
}
