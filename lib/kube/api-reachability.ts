// Whether this process can reach the API server right now, from a probe of its /readyz every few
// seconds with a short timeout (a frozen API server accepts connections and never answers, so a
// failed request alone can take long to tell). It feeds the process's own /readyz, and on the way
// back from an outage tells the informers to relist, since their watches may have hung through it.
import type { Logger } from "../observability/logger.ts";
import type { KubeConfig } from "@kubernetes/client-node";
import { apiGet } from "./api-get.ts";
import { Sleeper } from "./sleeper.ts";

export interface ApiReachabilityOptions {
  kc: KubeConfig;
  log: Logger;
  /** Pause between probes (default 2 s). */
  periodMs?: number;
  /** A probe without an answer after this long failed (default 5 s). */
  timeoutMs?: number;
  /** Consecutive failed probes before the API counts as unreachable (default 2), so one slow answer is no outage. */
  failureThreshold?: number;
}

export class ApiReachability {
  private readonly periodMs: number;
  private readonly timeoutMs: number;
  private readonly failureThreshold: number;
  private readonly sleeper = new Sleeper();
  private readonly listeners: Array<() => void> = [];
  private failures = 0;
  private lastError = "not probed yet";
  /** Undefined until the first probe answers; then whether the last `failureThreshold` did not. */
  private reachable: boolean | undefined;
  private reachedAt = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: ApiReachabilityOptions) {
    this.periodMs = options.periodMs ?? 2_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.failureThreshold = options.failureThreshold ?? 2;
  }

  /** Called each time the API server answers again after it was unreachable. */
  onReconnect(listener: () => void) {
    this.listeners.push(listener);
  }

  start() {
    this.loop ??= this.run();
  }

  async stop() {
    this.stopped = true;
    this.sleeper.wake();
    await this.loop;
  }

  /** Local time of the last answer from the API server (0 before the first). */
  lastReachedAt(): number {
    return this.reachedAt;
  }

  /** Undefined while the API server answers; otherwise why it is not reachable, for /readyz. */
  notReachableReason(): string | undefined {
    if (this.reachable === true) return undefined;
    return `Kubernetes API unreachable: ${this.lastError}`;
  }

  private async run() {
    while (!this.stopped) {
      await this.probe();
      if (!this.stopped) await this.sleeper.sleep(this.periodMs);
    }
  }

  /** One probe; exposed for tests that drive it step by step. */
  async probe() {
    const { kc, log } = this.options;
    try {
      await apiGet(kc, "/readyz", { timeoutMs: this.timeoutMs, accept: "text/plain" });
    } catch (err) {
      this.failures++;
      this.lastError = err instanceof Error ? err.message : String(err);
      if (
        this.reachable !== false &&
        (this.reachable === undefined || this.failures >= this.failureThreshold)
      ) {
        if (this.reachable === true) log.warn({ err: this.lastError }, "lost the Kubernetes API");
        this.reachable = false;
      }
      return;
    }
    this.reachedAt = Date.now();
    const wasDown = this.reachable === false && this.failures > 0;
    const first = this.reachable === undefined;
    this.failures = 0;
    this.reachable = true;
    if (first) return;
    if (wasDown) {
      log.info("reached the Kubernetes API again");
      for (const listener of this.listeners) listener();
    }
  }
}
