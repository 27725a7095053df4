// Where a caller's Kubernetes bearer token travels: the Authorization header, or, for browsers'
// WebSockets (which cannot set headers), a Sec-WebSocket-Protocol entry as the API server itself
// accepts it: "base64url.bearer.authorization.k8s.io.<token, base64url without padding>".
import type { IncomingHttpHeaders } from "node:http";

export const BEARER_PROTOCOL_PREFIX = "base64url.bearer.authorization.k8s.io.";

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const fromHeader = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "")?.[1];
  if (fromHeader) return fromHeader;
  const protocol = webSocketProtocols(headers).find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  if (!protocol) return undefined;
  const token = Buffer.from(protocol.slice(BEARER_PROTOCOL_PREFIX.length), "base64url").toString("utf8");
  return token || undefined;
}

/** The subprotocols a WebSocket client offered, in its order. */
export function webSocketProtocols(headers: IncomingHttpHeaders): string[] {
  return (headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
}
