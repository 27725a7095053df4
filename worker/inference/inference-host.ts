import { cpus } from "node:os";
import type { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { Accelerator } from "../onnx/session-factory.ts";
import { RenderError } from "../pipeline/render-error.ts";
import type {
  ModelLoadPhase,
  ModelSpec,
  ModelState,
  RenderProgress,
  RenderRequest,
  RenderResult,
} from "../pipeline/render-request.ts";
import type { HostMessage, ThreadInit, ThreadMessage } from "./thread-messages.ts";
import { startTsWorker } from "./ts-worker.ts";

export interface InferenceHostOptions {
  models: ModelSpec[];
  accelerator: Accelerator;
  /** Denoising steps of each generator's warm-up run (default 2). */
  warmupSteps?: number;
  /** Renders that may run at once (default 1); each slot is one thread with its own copy of the models. */
  concurrency?: number;
  logger?: Logger;
  /** Called when a thread dies or comes back, so the worker's readiness follows `unavailable()`. */
  onAvailabilityChange?: () => void;
  /** First wait before restarting a dead thread; doubles per crash in a row (default 1 s, at most 60 s). */
  restartDelayMs?: number;
}

interface Job {
  id: number;
  request: RenderRequest;
  onProgress: (p: RenderProgress) => void;
  resolve: (r: RenderResult) => void;
  reject: (e: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

interface Slot {
  worker: Worker;
  abortFlag: Int32Array;
  states: Map<string, ModelState>;
  job: Job | undefined;
  /** Models loaded and the thread alive: it may be given a render. */
  running: boolean;
  exited: boolean;
  /** Crashes in a row, for the restart backoff; reset once a thread has stayed up a while. */
  crashes: number;
  startedAt: number;
  /** Why the slot is down, while it waits for or goes through a restart. */
  down: string | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

const STATE_ORDER: ModelLoadPhase[] = ["Failed", "Loading", "Warming", "Ready"];
const CLOSE_GRACE_MS = 5_000;
const MAX_RESTART_DELAY_MS = 60_000;
/** A thread that lived this long before dying is not crash-looping: restart it at the first delay. */
const STABLE_AFTER_MS = 60_000;

/**
 * Runs the pipeline in worker threads, so onnxruntime's blocking run() never stalls the main event
 * loop. Each render slot is a thread holding its own sessions; extra renders wait in a FIFO queue.
 * One slot is the default because ONNX Runtime already spreads one run over every core (two slots on
 * two cores just interleave at half speed each, and double the memory); on a GPU or a many-core node,
 * concurrency > 1 splits the cores between slots.
 */
export class InferenceHost {
  private readonly queue: Job[] = [];
  private readonly logger: Logger | undefined;
  private nextId = 1;
  private closed = false;
  private providerName: Accelerator;
  private providerNote: string | undefined;

  private constructor(
    private readonly slots: Slot[],
    private readonly options: InferenceHostOptions,
    private readonly init: ThreadInit[],
  ) {
    this.logger = options.logger;
    this.providerName = options.accelerator;
  }

  /** Loads every model in every slot and warms it up; resolves once each is Ready or Failed. */
  static async start(options: InferenceHostOptions): Promise<InferenceHost> {
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    const init: ThreadInit[] = Array.from({ length: concurrency }, () => ({
      models: options.models,
      accelerator: options.accelerator,
      intraOpThreads: Math.max(1, Math.floor(cpus().length / concurrency)),
      warmupSteps: options.warmupSteps ?? 2,
      abortFlag: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
    }));
    const slots = init.map((i) => ({
      ...spawnThread(i),
      job: undefined,
      crashes: 0,
      down: undefined,
      restartTimer: undefined,
    }));
    const host = new InferenceHost(slots, options, init);
    const start = performance.now();
    await Promise.all(slots.map((slot, index) => host.attach(slot, index)));
    options.logger?.info(
      { models: host.modelStates(), provider: host.provider, seconds: (performance.now() - start) / 1000 },
      "inference host started",
    );
    return host;
  }

  /**
   * Undefined while every thread runs; otherwise why not (a thread died and is being restarted).
   * A worker with a thread down takes no new work: it could not run what it advertises.
   */
  unavailable(): string | undefined {
    const down = this.slots.flatMap((s, i) => (s.down ? [`inference thread ${i} ${s.down}`] : []));
    return down.length > 0 ? down.join("; ") : undefined;
  }

  /** Per model, the least advanced state over all slots (Failed first), with its message. */
  modelStates(): ModelState[] {
    const merged = new Map<string, ModelState>();
    for (const slot of this.slots) {
      for (const state of slot.states.values()) {
        const seen = merged.get(state.name);
        if (!seen || STATE_ORDER.indexOf(state.state) < STATE_ORDER.indexOf(seen.state))
          merged.set(state.name, state);
      }
    }
    return [...merged.values()].map((s) => ({ ...s }));
  }

  /** The execution provider models run on, after any CUDA → CPU fallback. */
  get provider(): Accelerator {
    return this.providerName;
  }

  /** Why `provider` differs from the requested accelerator, if it does. */
  get providerMessage(): string | undefined {
    return this.providerNote;
  }

  /** Renders waiting for a free slot. */
  get queueDepth(): number {
    return this.queue.length;
  }

  render(
    request: RenderRequest,
    onProgress: (p: RenderProgress) => void,
    signal?: AbortSignal,
  ): Promise<RenderResult> {
    if (this.closed) return Promise.reject(new RenderError("ModelNotLoaded", "inference host is closed"));
    if (signal?.aborted)
      return Promise.reject(new RenderError("Aborted", "render aborted before it started"));
    return new Promise<RenderResult>((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        request,
        onProgress,
        resolve,
        reject,
        signal,
        onAbort: () => this.abort(job),
      };
      signal?.addEventListener("abort", job.onAbort, { once: true });
      this.queue.push(job);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    for (const job of this.queue.splice(0))
      this.finish(job, new RenderError("Aborted", "inference host closed"));
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.exited) return;
        const exited = new Promise((resolve) => slot.worker.once("exit", resolve));
        slot.worker.postMessage({ type: "close" } satisfies HostMessage);
        const timer = setTimeout(() => void slot.worker.terminate(), CLOSE_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.logger?.info("inference host closed");
  }

  /** Wires a thread's messages and resolves when its models are loaded and warmed. */
  private attach(slot: Slot, index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      slot.worker.on("message", (message: ThreadMessage) => {
        switch (message.type) {
          case "state":
            slot.states.set(message.state.name, message.state);
            this.logger?.info(
              { thread: index, ...message.state },
              `model ${message.state.state.toLowerCase()}`,
            );
            break;
          case "loaded":
            this.providerName = message.provider;
            this.providerNote = message.providerMessage;
            slot.running = true;
            resolve();
            break;
          case "log":
            this.logger?.[message.level]({ thread: index, ...message.fields }, message.msg);
            break;
          case "progress":
            if (slot.job?.id === message.id) slot.job.onProgress(reviveProgress(message.progress));
            break;
          case "result":
          case "error": {
            const job = slot.job;
            if (job?.id !== message.id) break;
            slot.job = undefined;
            if (message.type === "result") this.finish(job, reviveResult(message.result));
            else this.finish(job, RenderError.fromJSON(message.error));
            this.dispatch();
            break;
          }
        }
      });
      slot.worker.on("error", (error) => {
        this.logger?.error({ thread: index, err: error }, "inference thread crashed");
        reject(error);
      });
      slot.worker.on("exit", (code) => {
        const wasRunning = slot.running;
        slot.running = false;
        slot.exited = true;
        for (const [name, state] of slot.states) {
          if (!this.closed)
            slot.states.set(name, {
              ...state,
              state: "Failed",
              message: `inference thread exited with code ${code}`,
            });
        }
        if (slot.job)
          this.finish(
            slot.job,
            new RenderError("InferenceUnavailable", `inference thread exited with code ${code}`),
          );
        slot.job = undefined;
        reject(new Error(`inference thread exited with code ${code} while loading models`));
        if (this.closed) return;
        // A thread that dies after start is restarted (a thread that never loaded fails start()).
        if (wasRunning || slot.down) this.restartLater(slot, index, code);
        this.dispatch();
      });
    });
  }

  /** Restarts a dead thread after a backoff that doubles while it keeps dying. */
  private restartLater(slot: Slot, index: number, code: number) {
    if (performance.now() - slot.startedAt > STABLE_AFTER_MS) slot.crashes = 0;
    const first = this.options.restartDelayMs ?? 1_000;
    const delayMs = Math.min(first * 2 ** slot.crashes, MAX_RESTART_DELAY_MS);
    slot.crashes++;
    slot.down = `exited with code ${code}; restarting in ${Math.round(delayMs / 100) / 10}s`;
    this.logger?.error({ thread: index, code, delayMs }, "inference thread exited; restarting after backoff");
    this.options.onAvailabilityChange?.();
    slot.restartTimer = setTimeout(() => {
      if (this.closed) return;
      Object.assign(slot, spawnThread(this.init[index]!));
      slot.down = `exited with code ${code}; restarted, loading models`;
      this.attach(slot, index).then(
        () => {
          slot.down = undefined;
          this.logger?.info({ thread: index }, "inference thread restarted");
          this.options.onAvailabilityChange?.();
          this.dispatch();
        },
        // Its exit handler has scheduled the next try.
        () => undefined,
      );
    }, delayMs);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || !slot.running) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      slot.worker.postMessage({ type: "render", id: job.id, request: job.request } satisfies HostMessage);
    }
    // Nothing would run them for a while: let the caller take them elsewhere now.
    if (this.queue.length > 0 && this.slots.every((s) => !s.running)) {
      for (const job of this.queue.splice(0))
        this.finish(job, new RenderError("InferenceUnavailable", "no inference thread is running"));
    }
  }

  private abort(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.finish(job, new RenderError("Aborted", "render aborted while queued"));
      return;
    }
    // Running: the thread sees the flag after its current step and answers with an Aborted error.
    const slot = this.slots.find((s) => s.job === job);
    if (slot) Atomics.store(slot.abortFlag, 0, job.id);
  }

  private finish(job: Job, outcome: RenderResult | Error): void {
    job.signal?.removeEventListener("abort", job.onAbort);
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
  }
}

/** A new thread for a slot, loading its models; `loaded` marks it running. */
function spawnThread(init: ThreadInit) {
  return {
    worker: startTsWorker(new URL("./inference-thread.ts", import.meta.url), { workerData: init }),
    abortFlag: new Int32Array(init.abortFlag),
    states: new Map<string, ModelState>(
      init.models.map((m) => [m.name, { name: m.name, role: m.role, state: "Loading" }]),
    ),
    running: false,
    exited: false,
    startedAt: performance.now(),
  };
}

// Structured clone turns Buffers into plain Uint8Arrays; callers get Buffers back, as the API promises.
function toBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function reviveProgress(p: RenderProgress): RenderProgress {
  return p.preview ? { ...p, preview: toBuffer(p.preview) } : p;
}

function reviveResult(r: RenderResult): RenderResult {
  return {
    ...r,
    candidates: r.candidates.map((c) => ({ ...c, png: toBuffer(c.png) })),
    outputs: r.outputs.map((o) => ({ ...o, data: toBuffer(o.data) })),
  };
}
