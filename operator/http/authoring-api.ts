// The gallery's writes to Artworks: create one from the form, delete one. The caller's right is
// checked on the real resource (SubjectAccessReview: create, delete) for a clear 403, then the
// write goes to the API server with the caller's own token (lib/kube/caller-kube-config.ts): it is
// authorized and audited as theirs, the operator holds no right to create or delete Artworks, and
// the API server's validation (schema, CEL rules) answers a bad field with its message, passed on.
import express, { type Request, type Router } from "express";
import { ARTWORK, GROUP } from "../../crds/api.ts";
import type { Artwork, ArtworkSpec } from "../../crds/artwork.ts";
import { API_VERSION } from "../../crds/api.ts";
import { callerKubeConfig } from "../../lib/kube/caller-kube-config.ts";
import { CustomObjectClient } from "../../lib/kube/custom-object-client.ts";
import type { OperatorContext } from "../context.ts";
import { badRequest as bad } from "./bad-request.ts";
import { callerToken, type CallerAccess } from "./caller-access.ts";

/** What the form may set; everything else keeps the CRD's defaults. */
const FORM_FIELDS = [
  "prompt",
  "negativePrompt",
  "mood",
  "poolRef",
  "model",
  "seed",
  "steps",
  "guidanceScale",
  "width",
  "height",
  "variations",
] as const;

/** A name from the prompt's first words, to which the API server adds a random suffix. */
export function generateNameFor(prompt: string): string {
  const slug = prompt
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .split("-")
    .slice(0, 4)
    .join("-")
    .slice(0, 40)
    .replace(/-+$/, "");
  return `${slug || "artwork"}-`;
}

interface ApiStatus {
  code?: number;
  body?: { message?: string; details?: { causes?: Array<{ field?: string; message?: string }> } };
}

export function authoringRouter(ctx: OperatorContext, access: CallerAccess): Router {
  const router = express.Router();
  // authenticate() has answered 401 for a request without a token.
  const asCaller = (req: Request) => new CustomObjectClient(callerKubeConfig(ctx.kc, callerToken(req)!));
  router.use(express.json({ limit: "16kb" }));

  router.post("/namespaces/:namespace/artworks", async (req, res) => {
    const user = await access.authenticateToken(req, res);
    if (!user) return;
    const { namespace } = req.params;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(body).filter((k) => !(FORM_FIELDS as readonly string[]).includes(k));
    if (unknown.length)
      return bad(res, unknown[0]!, `unknown field ${unknown[0]}; the form sets ${FORM_FIELDS.join(", ")}`);
    if (typeof body.prompt !== "string" || !body.prompt.trim())
      return bad(res, "prompt", "prompt must say what to paint");
    if (!(await access.mayArtworks(user, "create", namespace))) {
      res
        .status(403)
        .json({ error: `${user.username} may not create artworks.${GROUP} in namespace "${namespace}"` });
      return;
    }
    const artwork: Artwork = {
      apiVersion: API_VERSION,
      kind: ARTWORK.kind,
      metadata: {
        generateName: generateNameFor(body.prompt),
        namespace,
      },
      spec: body as unknown as ArtworkSpec,
    };
    try {
      const created = await asCaller(req).create<Artwork>(ARTWORK, namespace, artwork);
      ctx.log.info(
        { artwork: `${namespace}/${created.metadata.name}`, user: user.username },
        "created an artwork from the gallery",
      );
      res.status(201).json({ namespace, name: created.metadata.name });
    } catch (err) {
      const status = err as ApiStatus;
      if (status.code === 422 || status.code === 400) {
        const cause = status.body?.details?.causes?.[0];
        res.status(422).json({
          error: cause?.message ?? status.body?.message ?? "the Artwork was refused",
          ...(cause?.field ? { field: cause.field } : {}),
        });
        return;
      }
      throw err;
    }
  });

  router.delete("/namespaces/:namespace/artworks/:name", async (req, res) => {
    const user = await access.authenticateToken(req, res);
    if (!user) return;
    const { namespace, name } = req.params;
    if (!(await access.mayArtworks(user, "delete", namespace, name))) {
      res.status(403).json({
        error: `${user.username} may not delete artworks.${GROUP} "${name}" in namespace "${namespace}"`,
      });
      return;
    }
    try {
      // The finalizer records the deletion as a "delete" reaction before the Artwork goes.
      await asCaller(req).api.deleteNamespacedCustomObject({
        group: ARTWORK.group,
        version: ARTWORK.version,
        plural: ARTWORK.plural,
        namespace,
        name,
      });
    } catch (err) {
      if ((err as ApiStatus).code === 404) {
        res.status(404).json({ error: `Artwork "${name}" not found in namespace "${namespace}"` });
        return;
      }
      throw err;
    }
    ctx.log.info(
      { artwork: `${namespace}/${name}`, user: user.username },
      "deleted an artwork from the gallery",
    );
    res.status(202).json({ deleted: true, namespace, name });
  });

  return router;
}
