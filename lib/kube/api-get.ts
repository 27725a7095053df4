// A plain GET to the API server with the kubeconfig's credentials and TLS settings, for what the
// generated clients do not cover: paged lists the informer reads raw, and the health endpoints.
import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/**
 * The response body of GET `path`; rejects with `code` set to the HTTP status on a non-2xx answer,
 * and when no answer came within `timeoutMs` (a frozen API server accepts connections but never
 * answers on them).
 */
export async function apiGet(
  kc: KubeConfig,
  path: string,
  options: { signal?: AbortSignal; timeoutMs?: number; accept?: string } = {},
): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const url = new URL(cluster.server + path);
  const requestOptions: RequestOptions = {
    method: "GET",
    headers: { Accept: options.accept ?? "application/json" },
    signal: options.signal,
  };
  await kc.applyToHTTPSOptions(requestOptions);
  const plain = url.protocol === "http:";
  // applyToHTTPSOptions adds a TLS agent, which a plain-HTTP request cannot use.
  if (plain) delete requestOptions.agent;
  const send = plain ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(text);
        else
          reject(Object.assign(new Error(`GET ${url.pathname} failed: ${status} ${text}`), { code: status }));
      });
    });
    req.setTimeout(options.timeoutMs ?? 60_000, () =>
      req.destroy(new Error(`GET ${url.pathname} timed out`)),
    );
    req.on("error", reject);
    req.end();
  });
}
