// Where the app is, in the URL's fragment (every page is index.html, so it works offline and
// behind any path-agnostic proxy): #/ (grid), #/<ns> (its grid), #/<ns>/<name> (detail), #/create,
// #/learn (what Aria has learned in the namespace).
export type Route =
  { view: "grid" } | { view: "detail"; name: string } | { view: "create" } | { view: "learn" };

export function parseRoute(hash: string): { namespace?: string; route: Route } {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "create") return { route: { view: "create" } };
  if (parts[0] === "learn") return { route: { view: "learn" } };
  if (parts.length >= 2) return { namespace: parts[0], route: { view: "detail", name: parts[1]! } };
  if (parts.length === 1) return { namespace: parts[0], route: { view: "grid" } };
  return { route: { view: "grid" } };
}

export const detailHash = (namespace: string, name: string) =>
  `#/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
