// Live previews over WebSocket: subscribers of an Artwork get a JSON progress message per
// preview followed by the JPEG as a binary frame, and at the end the final image.
import type { WebSocket } from "ws";

export interface PreviewFrame {
  step: number;
  totalSteps: number;
  variation: number;
  variations: number;
  jpeg: Buffer;
}

export class PreviewHub {
  private readonly subscribers = new Map<string, Set<WebSocket>>();

  subscribe(key: string, socket: WebSocket) {
    let set = this.subscribers.get(key);
    if (!set) this.subscribers.set(key, (set = new Set()));
    set.add(socket);
    socket.on("close", () => {
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
      socket.send(JSON.stringify(meta));
      if (data) socket.send(data, { binary: true });
    }
  }

  private close(key: string) {
    for (const socket of this.subscribers.get(key) ?? []) socket.close(1000, "done");
    this.subscribers.delete(key);
  }
}
