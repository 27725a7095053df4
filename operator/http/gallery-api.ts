// The gallery's read API: a namespace's Artworks newest first (filtered, paged with a cursor) and one
// Artwork in full. It answers from the operator's informer cache only, so browsing thousands of
// Artworks costs the API server nothing but the cached access reviews.
import express, { type Router } from "express";
import { stringify } from "yaml";
import { API_VERSION, ARTWORK, GROUP, MODEL_POOL } from "../../crds/api.ts";
import { ARTWORK_DEFAULTS, ARTWORK_PHASES, MOODS, type Artwork } from "../../crds/artwork.ts";
import { poolActivity } from "../../lib/observability/pool-activity.ts";
import { generatorModels, type OperatorContext } from "../context.ts";
import { FEEDBACK_ACTIONS } from "../../crds/learning-state.ts";
import { feedbackLog } from "../learning/feedback-log.ts";
import { badRequest as bad } from "./bad-request.ts";
import type { CallerAccess } from "./caller-access.ts";
import { imagePath, THUMBNAIL_WIDTHS } from "./artwork-images.ts";
import { NewestFirst, type Place } from "./newest-first.ts";

const GALLERY_PAGE = { default: 50, max: 200 };

function encodeCursor(c: Place): string {
  return Buffer.from(JSON.stringify([c.time, c.name])).toString("base64url");
}

function decodeCursor(token: string): Place | undefined {
  try {
    const [time, name] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown[];
    return typeof time === "number" && typeof name === "string" ? { time, name } : undefined;
  } catch {
    return undefined;
  }
}

/** The image a grid shows: the selected candidate's first stored output, else its PNG, and its thumbnail. */
function selectedImage(art: Artwork) {
  const selected = art.status?.selected;
  if (!selected) return undefined;
  const uri = selected.images[0]?.uri ?? art.status?.candidates?.find((c) => c.index === selected.index)?.uri;
  const thumbnail = imagePath(art, selected.index, THUMBNAIL_WIDTHS[1]);
  return {
    index: selected.index,
    score: selected.score,
    ...(uri ? { uri } : {}),
    ...(thumbnail ? { thumbnail } : {}),
  };
}

function summary(art: Artwork) {
  return {
    name: art.metadata.name,
    prompt: art.spec.prompt,
    mood: art.spec.mood ?? ARTWORK_DEFAULTS.mood,
    phase: art.status?.phase,
    model: art.status?.model,
    selected: selectedImage(art),
    creationTimestamp: art.metadata.creationTimestamp,
    progress: art.status?.progress,
  };
}

/** A manifest `kubectl apply -f` takes back: what the user wrote, none of the server's bookkeeping. */
function manifest(art: Artwork): string {
  return stringify({
    apiVersion: API_VERSION,
    kind: ARTWORK.kind,
    metadata: { name: art.metadata.name, namespace: art.metadata.namespace },
    spec: art.spec,
  });
}

function detail(art: Artwork) {
  const { spec, status } = art;
  return {
    name: art.metadata.name,
    namespace: art.metadata.namespace,
    creationTimestamp: art.metadata.creationTimestamp,
    spec: {
      prompt: spec.prompt,
      negativePrompt: spec.negativePrompt,
      mood: spec.mood ?? ARTWORK_DEFAULTS.mood,
      seed: spec.seed,
      steps: spec.steps,
      guidanceScale: spec.guidanceScale,
      size: { width: spec.width, height: spec.height },
      variations: spec.variations ?? ARTWORK_DEFAULTS.variations,
      model: spec.model,
    },
    // What the render actually used where the spec left it open (seed, model, steps chosen).
    rendered: {
      model: status?.model,
      modelReason: status?.modelReason,
      seed: status?.seed,
      steps: status?.steps,
      guidanceScale: status?.guidanceScale,
      size: { width: status?.width, height: status?.height },
    },
    phase: status?.phase,
    progress: status?.progress,
    candidates: (status?.candidates ?? []).map((c) => ({
      ...c,
      image: imagePath(art, c.index),
      thumbnail: imagePath(art, c.index, THUMBNAIL_WIDTHS[2]),
    })),
    selected: status?.selected,
    conditions: status?.conditions ?? [],
    reactions: reactionCounts(art),
    yaml: manifest(art),
  };
}

/** Every reaction the Artwork has had, folded into learning or not yet. */
function reactionCounts(art: Artwork) {
  const log = feedbackLog(art);
  return Object.fromEntries(
    FEEDBACK_ACTIONS.map((a) => [a, (log.counts[a] ?? 0) + log.pending.filter((p) => p.action === a).length]),
  );
}

type Filters = { mood?: string; model?: string; phase?: string };

function matches(art: Artwork, f: Filters): boolean {
  return (
    (f.mood === undefined || (art.spec.mood ?? ARTWORK_DEFAULTS.mood) === f.mood) &&
    (f.model === undefined || art.status?.model === f.model) &&
    (f.phase === undefined || art.status?.phase === f.phase)
  );
}

export function galleryRouter(ctx: OperatorContext, access: CallerAccess): Router {
  // Express 5 hands a rejected handler to the error middleware (503 when reviews are unavailable).
  const router = express.Router();
  const order = new NewestFirst(ctx.caches.artworks);

  router.get("/namespaces/:namespace/artworks", async (req, res) => {
    const user = await access.authenticate(req, res);
    if (!user) return;
    const { namespace } = req.params;
    const q = req.query;
    for (const field of ["limit", "continue", "mood", "model", "phase"]) {
      if (q[field] !== undefined && typeof q[field] !== "string")
        return bad(res, field, `${field} may be given once`);
    }
    const query = q as Record<string, string | undefined>;
    const limit = query.limit === undefined ? GALLERY_PAGE.default : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > GALLERY_PAGE.max)
      return bad(res, "limit", `limit must be an integer from 1 to ${GALLERY_PAGE.max}`);
    if (query.phase !== undefined && !(ARTWORK_PHASES as readonly string[]).includes(query.phase))
      return bad(res, "phase", `phase must be one of ${ARTWORK_PHASES.join(", ")}`);
    if (query.mood !== undefined && !(MOODS as readonly string[]).includes(query.mood))
      return bad(res, "mood", `mood must be one of ${MOODS.join(", ")}`);
    const after = query.continue === undefined ? undefined : decodeCursor(query.continue);
    if (query.continue !== undefined && !after)
      return bad(res, "continue", "continue must be a token from a previous page of this list");
    if (!(await access.mayArtworks(user, "list", namespace))) {
      res.status(403).json({
        error: `${user.username} may not list artworks.${GROUP} in namespace "${namespace}"`,
      });
      return;
    }
    // A cursor, not an offset: Artworks created meanwhile sort before it, so no page repeats or skips one.
    const filters: Filters = { mood: query.mood, model: query.model, phase: query.phase };
    const page: Array<{ art: Artwork; place: Place }> = [];
    let more = false;
    for (const entry of order.from(namespace, after)) {
      if (!matches(entry.art, filters)) continue;
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push(entry);
    }
    const last = page.at(-1);
    res.json({
      items: page.map(({ art }) => summary(art)),
      ...(more && last ? { continue: encodeCursor(last.place) } : {}),
    });
  });

  router.get("/namespaces/:namespace/artworks/:name", async (req, res) => {
    const user = await access.authenticate(req, res);
    if (!user) return;
    const { namespace, name } = req.params;
    if (!(await access.mayArtworks(user, "get", namespace, name))) {
      res.status(403).json({
        error: `${user.username} may not get artworks.${GROUP} "${name}" in namespace "${namespace}"`,
      });
      return;
    }
    const art = ctx.caches.artworks.get(namespace, name);
    if (!art) {
      res.status(404).json({ error: `Artwork "${name}" not found in namespace "${namespace}"` });
      return;
    }
    res.json(detail(art));
  });

  router.get("/namespaces/:namespace/pools", async (req, res) => {
    const user = await access.authenticate(req, res);
    if (!user) return;
    const { namespace } = req.params;
    const attrs = { group: GROUP, resource: MODEL_POOL.plural, verb: "list", namespace };
    if (!(await access.reviewer.allowed(user, attrs))) {
      res.status(403).json({
        error: `${user.username} may not list ${MODEL_POOL.plural}.${GROUP} in namespace "${namespace}"`,
      });
      return;
    }
    const artworks = ctx.caches.artworks.list(namespace);
    res.json({
      items: ctx.caches.pools
        .list(namespace)
        .map((pool) => ({ ...poolActivity(pool, artworks), generators: generatorModels(pool) })),
    });
  });

  return router;
}
