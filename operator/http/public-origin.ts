// Where links to this operator start: --public-url when the operator knows its public address,
// else the address the request came to, as a reverse proxy reports it (X-Forwarded-Proto/-Host,
// the first hop's when there are several) or as the client wrote it (Host).
import type { IncomingHttpHeaders } from "node:http";

/** A host name or address with an optional port; nothing that could end an attribute or a URL's authority. */
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$/;

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(",")[0]?.trim() || undefined;
}

/** The base URL, without a trailing slash (it may carry a path: https://example.org/aria). */
export function publicBase(headers: IncomingHttpHeaders, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, "");
  const proto = first(headers["x-forwarded-proto"])?.toLowerCase();
  const forwardedHost = first(headers["x-forwarded-host"]);
  const host = [forwardedHost, headers.host].find((h) => h !== undefined && HOST.test(h)) ?? "localhost";
  // The operator serves HTTPS only, so without a proxy's word the scheme is https.
  return `${proto === "http" || proto === "https" ? proto : "https"}://${host}`;
}
