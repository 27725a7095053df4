// A client-go-style work queue: a key waits in the queue at most once (dirty set), a key being
// processed is never handed to a second worker (processing set), and a key re-added while processing
// is queued again when its worker finishes, so the latest state is always reconciled once more.
import type { Registry } from "prom-client";
import { workQueueMetrics, type WorkQueueMetrics } from "./runtime-metrics.ts";

export interface WorkQueueOptions {
  name: string;
  /** First rate-limited delay; doubles per failure of the same key (client-go: 5 ms). */
  baseDelayMs?: number;
  /** Ceiling of the per-key backoff (client-go: 1000 s). */
  maxDelayMs?: number;
  registry: Registry;
}

export class WorkQueue {
  readonly name: string;
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly enqueuedAt = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  /** One pending delayed add per key, at the earliest time asked for (client-go's delaying queue). */
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: Array<() => void> = [];
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly metrics: WorkQueueMetrics;
  private shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 1_000_000;
    this.metrics = workQueueMetrics(options.registry);
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.metrics.adds.inc({ name: this.name });
    if (this.processing.has(key)) return;
    this.push(key);
  }

  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    // A later request adds nothing: the earlier add reconciles the latest state anyway.
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { at, timer });
  }

  /** Re-adds after the key's exponential backoff: base · 2^failures, capped. */
  addRateLimited(key: string): void {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    this.metrics.retries.inc({ name: this.name });
    this.addAfter(key, this.backoffMs(failures));
  }

  /** The delay the next addRateLimited of key would wait. */
  nextBackoffMs(key: string): number {
    return this.backoffMs(this.failures.get(key) ?? 0);
  }

  /** Resets the key's backoff, once it has been processed successfully. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key, waiting for one; undefined once shut down and empty. Pair with done(key). */
  async get(): Promise<string | undefined> {
    while (this.queue.length === 0 && !this.shuttingDown) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.dirty.delete(key);
    this.processing.add(key);
    this.metrics.depth.set({ name: this.name }, this.queue.length);
    const since = this.enqueuedAt.get(key);
    this.enqueuedAt.delete(key);
    if (since !== undefined) {
      this.metrics.queueDuration.observe({ name: this.name }, (performance.now() - since) / 1000);
    }
    return key;
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  /**
   * Runs handler on up to `concurrency` keys at once until the queue is shut down and drained.
   * The handler owns its error handling (forget / addRateLimited); a throw only ends that item.
   */
  async run(handler: (key: string) => Promise<void>, concurrency: number): Promise<void> {
    const worker = async () => {
      for (let key = await this.get(); key !== undefined; key = await this.get()) {
        try {
          await handler(key);
        } catch {
          // Keeps the worker alive; retry policy lives in the handler.
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  }

  /** Stops accepting keys and drops delayed ones; workers finish what is queued, then return. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }

  private push(key: string) {
    this.queue.push(key);
    this.enqueuedAt.set(key, performance.now());
    this.metrics.depth.set({ name: this.name }, this.queue.length);
    this.waiters.shift()?.();
  }

  private backoffMs(failures: number): number {
    return Math.min(this.baseDelayMs * 2 ** failures, this.maxDelayMs);
  }
}
