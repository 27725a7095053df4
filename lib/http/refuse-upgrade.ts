// Answers a WebSocket upgrade request with a plain HTTP error (JSON body) and closes the socket:
// what a refused browser or client sees instead of a stream.
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

export function refuseUpgrade(
  socket: Duplex,
  code: number,
  error: string,
  headers: Record<string, string> = {},
) {
  const body = JSON.stringify({ error });
  const head = {
    Connection: "close",
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(body)),
    ...headers,
  };
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\n` +
      Object.entries(head)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("") +
      `\r\n${body}`,
  );
}
