// Live previews over WebSocket: subscribers of an Artwork get a JSON progress message per
// preview followed by the JPEG as a binary frame, and at the end the final image. Memory stays
// bounded per socket: one that still holds more than maxBufferedBytes unsent when the next frame
// is due is dropped as too slow (its reader would only ever fall further behind), and one that was
// sent nothing for idleMs (an Artwork queued elsewhere, a client that forgot it) is closed.
import type { WebSocket } from "ws";
import type { Logger } from "../../lib/observability/logger.ts";
import type { WorkerMetrics } from "../metrics.ts";

export interface PreviewFrame {
  step: number;
  totalSteps: number;
  variation: number;
  variations: number;
  jpeg: Buffer;
}

export interface StreamLimits {
  /** Unsent bytes a socket may hold when the next frame is due; beyond it the socket is dropped. */
  maxBufferedBytes: number;
  /** A socket sent nothing for this long is closed. */
  idleMs: number;
}

/** Close code for an idle stream (4000-4999 are the application's; 408 as in HTTP's timeout). */
export const IDLE_CLOSE_CODE = 4408;

export class PreviewHub {
  private readonly subscribers = new Map<string, Set<WebSocket>>();
  private readonly idleTimers = new Map<WebSocket, NodeJS.Timeout>();

  constructor(
    private readonly limits: StreamLimits,
    private readonly metrics: Pick<WorkerMetrics, "streamsDropped">,
    private readonly log: Logger,
  ) {}

  subscribe(key: string, socket: WebSocket) {
    let set = this.subscribers.get(key);
    if (!set) this.subscribers.set(key, (set = new Set()));
    set.add(socket);
    this.idleTimers.set(
      socket,
      setTimeout(() => this.drop(key, socket, "idle"), this.limits.idleMs),
    );
    socket.on("close", () => {
      clearTimeout(this.idleTimers.get(socket));
      this.idleTimers.delete(socket);
      set.delete(socket);
      if (set.size === 0 && this.subscribers.get(key) === set) this.subscribers.delete(key);
    });
  }

  hasSubscribers(key: string) {
    return (this.subscribers.get(key)?.size ?? 0) > 0;
  }

  preview(key: string, frame: PreviewFrame) {
    const { jpeg, ...meta } = frame;
    this.send(key, { type: "preview", ...meta, bytes: jpeg.length }, jpeg);
  }

  final(key: string, image: Buffer, meta: Record<string, unknown>) {
    this.send(key, { type: "final", ...meta, bytes: image.length }, image);
    this.close(key);
  }

  failed(key: string, reason: string, message: string) {
    this.send(key, { type: "failed", reason, message });
    this.close(key);
  }

  private send(key: string, meta: object, data?: Buffer) {
    for (const socket of this.subscribers.get(key) ?? []) {
      if (socket.readyState !== socket.OPEN) continue;
      if (socket.bufferedAmount > this.limits.maxBufferedBytes) {
        this.drop(key, socket, "slow");
        continue;
      }
      socket.send(JSON.stringify(meta));
      if (data) socket.send(data, { binary: true });
      this.idleTimers.get(socket)?.refresh();
    }
  }

  private drop(key: string, socket: WebSocket, reason: "idle" | "slow") {
    this.metrics.streamsDropped.inc({ reason });
    if (reason === "idle") {
      socket.close(IDLE_CLOSE_CODE, `idle for ${Math.round(this.limits.idleMs / 1000)} s`);
      this.log.info({ artwork: key }, "closed an idle preview stream");
    } else {
      // A close frame would queue behind the unsent data: end the connection at once.
      socket.terminate();
      this.log.info(
        { artwork: key, bufferedBytes: socket.bufferedAmount },
        "dropped a preview stream whose reader fell behind",
      );
    }
  }

  /** The worker is going away: every stream ends (1001), so its server can close. */
  closeAll() {
    for (const key of [...this.subscribers.keys()]) {
      for (const socket of this.subscribers.get(key) ?? []) socket.close(1001, "worker stopping");
      this.subscribers.delete(key);
    }
  }

  private close(key: string) {
    for (const socket of this.subscribers.get(key) ?? []) socket.close(1000, "done");
    this.subscribers.delete(key);
  }
}
