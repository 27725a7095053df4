// The operator's API as the app calls it. The token a person enters is kept only in this browser
// (localStorage, and a cookie for the requests that cannot carry a header: images and the preview
// WebSocket); behind an authenticating proxy none is needed, the proxy adds it.
import type { FeedbackAction } from "../../crds/learning-state.ts";
import type { PoolActivity } from "../../lib/observability/pool-activity.ts";

const TOKEN_KEY = "aria-token";
const COOKIE_MAX_AGE_S = 30 * 86_400;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function token(): string | undefined {
  return localStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setToken(value: string | undefined) {
  if (value) {
    localStorage.setItem(TOKEN_KEY, value);
    document.cookie = `${TOKEN_KEY}=${encodeURIComponent(value)}; Path=/api/; Max-Age=${COOKIE_MAX_AGE_S}; Secure; SameSite=Strict`;
  } else {
    localStorage.removeItem(TOKEN_KEY);
    document.cookie = `${TOKEN_KEY}=; Path=/api/; Max-Age=0; Secure; SameSite=Strict`;
  }
}

const VISITOR_KEY = "aria-visitor";

/** This browser's id as an anonymous visitor of a public gallery: its reactions count once each. */
export function visitor(): string {
  let id = localStorage.getItem(VISITOR_KEY);
  if (!id) localStorage.setItem(VISITOR_KEY, (id = crypto.randomUUID()));
  return id;
}

/** Listeners told when a call was refused for want of a (valid) token. */
const unauthorized = new Set<() => void>();
export function onUnauthorized(listener: () => void) {
  unauthorized.add(listener);
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const t = token();
  if (t) headers.set("Authorization", `Bearer ${t}`);
  if (init.body) headers.set("Content-Type", "application/json");
  const res = await fetch(`/api${path}`, { ...init, headers });
  const body = (await res.json().catch(() => ({}))) as { error?: string; field?: string };
  if (res.status === 401) for (const l of unauthorized) l();
  if (!res.ok) throw new ApiError(res.status, body.error ?? res.statusText, body.field);
  return body as T;
}

export const post = <T>(path: string, body: unknown) =>
  api<T>(path, { method: "POST", body: JSON.stringify(body) });

export interface Summary {
  name: string;
  prompt: string;
  mood: string;
  phase?: string;
  model?: string;
  selected?: { index: number; score: number; thumbnail?: string };
  creationTimestamp: string;
  progress?: number;
}

export interface Page {
  items: Summary[];
  continue?: string;
}

export interface Candidate {
  index: number;
  seed: number;
  image?: string;
  thumbnail?: string;
  scores: Record<string, number>;
}

export interface Detail {
  name: string;
  namespace: string;
  spec: {
    prompt: string;
    negativePrompt?: string;
    mood: string;
    seed?: number;
    steps?: number;
    guidanceScale?: number;
    size: { width?: number; height?: number };
    variations: number;
    model?: string;
  };
  rendered: {
    model?: string;
    modelReason?: string;
    seed?: number;
    steps?: number;
    guidanceScale?: number;
    size: { width?: number; height?: number };
  };
  phase?: string;
  progress?: number;
  candidates: Candidate[];
  selected?: { index: number; score: number };
  conditions: Array<{ type: string; status: string; reason?: string; message?: string }>;
  reactions: Record<FeedbackAction, number>;
  yaml: string;
}

export type Pool = PoolActivity & { generators: string[] };

export interface Suggestion {
  mood: string;
  model: string;
  reason: string;
  steps?: number;
  guidanceScale?: number;
  promptPatterns: string[];
}

export const artworksPath = (ns: string) => `/namespaces/${encodeURIComponent(ns)}/artworks`;
export const artworkPath = (ns: string, name: string) => `${artworksPath(ns)}/${encodeURIComponent(name)}`;
