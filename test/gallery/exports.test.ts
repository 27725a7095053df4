// Downloads in every format the gallery offers, as a person's browser fetches them from the
// operator: each opens at the size promised (the TIFF four times larger), the SVG is well-formed
// XML with the image's viewBox, and the generation parameters read back with ordinary tools.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Artwork } from "../../crds/artwork.ts";
import { readPngParameters } from "../../lib/encoding/png-parameters.ts";
import { controlPlane, servingTls } from "../support/cluster.ts";
import { readExported } from "../support/exported-files.ts";
import { httpsBytes, httpsJson } from "../support/https.ts";
import { stopAll, type OperatorProc } from "../support/processes.ts";
import { renderedArtworks } from "../support/rendered-artworks.ts";

const PROMPT = `a harbour café at dusk & "calm" <seas>`;
const FORMATS = ["png", "webp", "avif", "jpeg", "tiff", "svg"] as const;
const DECODED_AS = { png: "png", webp: "webp", avif: "heif", jpeg: "jpeg", tiff: "tiff", svg: "svg" };
const MEDIA_TYPE = {
  png: "image/png",
  webp: "image/webp",
  avif: "image/avif",
  jpeg: "image/jpeg",
  tiff: "image/tiff",
  svg: "image/svg+xml",
};

let ns: string;
let operator: OperatorProc;
let harbour: Artwork;

function download(
  query: string,
  as: "admin" | "alice" | "nobody" = "admin",
  headers: Record<string, string> = {},
) {
  const token = as === "nobody" ? undefined : controlPlane().tokens[as];
  return httpsBytes(operator, `/api/namespaces/${ns}/artworks/harbour/export${query}`, {
    ca: servingTls().ca,
    headers,
    ...(token ? { token } : {}),
  });
}

const json = (body: Buffer) => JSON.parse(body.toString("utf8")) as Record<string, unknown>;

function candidateSeed(index: number) {
  return harbour.status?.candidates?.find((c) => c.index === index)?.seed;
}

beforeAll(async () => {
  const rendered = await renderedArtworks("exports", {
    harbour: { prompt: PROMPT, variations: 2, negativePrompt: "fog" },
  });
  ({ ns, operator } = rendered);
  harbour = rendered.artworks.harbour!;
}, 300_000);
afterAll(stopAll);

describe("GET …/artworks/:name/export", () => {
  it("answers every format as an attachment at the promised size, the TIFF enlarged 4×", async () => {
    for (const format of FORMATS) {
      const res = await download(`?format=${format}`);
      expect(res.status, `${format}: ${res.body.toString("utf8", 0, 200)}`).toBe(200);
      expect(res.headers["content-type"]).toContain(MEDIA_TYPE[format]);
      expect(res.headers["content-disposition"]).toBe(`attachment; filename="harbour.${format}"`);
      const facts = await readExported(res.body, MEDIA_TYPE[format]);
      expect(facts.format, format).toBe(DECODED_AS[format]);
      const side = format === "tiff" ? 256 : 64;
      expect([facts.width, facts.height], format).toEqual([side, side]);
    }
  });

  it("embeds the selected candidate's generation parameters where each format has room", async () => {
    const seed = candidateSeed(harbour.status!.selected!.index);
    const png = await download("?format=png");
    const parameters = readPngParameters(png.body).parameters;
    // A1111's layout: prompt, negative prompt, then the settings line.
    expect(parameters?.split("\n")).toEqual([
      PROMPT,
      "Negative prompt: fog",
      expect.stringMatching(
        new RegExp(`^Steps: 2, Sampler: .+, Seed: ${seed}, Size: 64x64, Model: aria-painter$`),
      ),
    ]);
    for (const format of ["webp", "avif", "jpeg", "tiff", "svg"] as const) {
      const res = await download(`?format=${format}`);
      const facts = await readExported(res.body, MEDIA_TYPE[format]);
      expect(facts.parameters, format).toBe(parameters);
      expect(facts.title, format).toBe(PROMPT);
    }
    for (const format of ["webp", "avif", "jpeg"] as const) {
      const facts = await readExported((await download(`?format=${format}`)).body, MEDIA_TYPE[format]);
      expect(facts.exif?.imageDescription, format).toBe(`a harbour cafe at dusk & "calm" <seas>`);
      expect(facts.exif?.userComment, format).toContain(`Seed: ${seed}, Size: 64x64`);
    }
  });

  it("traces the SVG into coloured paths within the image's viewBox", async () => {
    const res = await download("?format=svg");
    const facts = await readExported(res.body, "image/svg+xml");
    expect(facts.svg?.viewBox).toBe("0 0 64 64");
    expect(facts.svg?.paths).toBeGreaterThan(0);
    expect([...(facts.svg?.fills ?? [])].every((f) => /^#[0-9A-Fa-f]{6}$/.test(f))).toBe(true);
    // The prompt's & and <seas> went in escaped, so a strict XML parser read them back as text.
    expect(res.body.toString("utf8")).toContain("&amp; &quot;calm&quot; &lt;seas&gt;");
  });

  it("exports another candidate than the selected one when asked, under its own file name", async () => {
    const other = harbour.status!.candidates!.find((c) => c.index !== harbour.status!.selected!.index)!;
    for (const format of ["png", "jpeg"] as const) {
      const res = await download(`?format=${format}&candidate=${other.index}`);
      expect(res.status).toBe(200);
      expect(res.headers["content-disposition"]).toBe(
        `attachment; filename="harbour-candidate-${other.index}.${format}"`,
      );
      const facts = await readExported(res.body, MEDIA_TYPE[format]);
      expect(facts.parameters).toContain(`Seed: ${other.seed}, Size: 64x64`);
    }
    const missing = await download("?format=png&candidate=9");
    expect(missing.status).toBe(404);
    expect(json(missing.body)).toEqual({
      error: `Artwork "harbour" in namespace "${ns}" has no candidate 9`,
      field: "candidate",
    });
  });

  it("answers a browser's revalidation with 304 Not Modified", async () => {
    const first = await download("?format=webp");
    const again = await download("?format=webp", "admin", { "If-None-Match": String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it("answers 400 naming format or candidate and what they accept", async () => {
    for (const query of ["?format=gif", "", "?format=PNG", "?format=png&format=jpeg"]) {
      const res = await download(query);
      expect(res.status, query).toBe(400);
      expect(json(res.body)).toEqual({
        field: "format",
        error: "format must be one of png, webp, avif, jpeg, tiff, svg",
      });
    }
    for (const candidate of ["-1", "one", "1.5", "01"]) {
      const res = await download(`?format=png&candidate=${candidate}`);
      expect(res.status, candidate).toBe(400);
      expect(json(res.body).field).toBe("candidate");
    }
  });

  it("answers 401 without a token, 403 to a caller who may not get the Artwork, 404 for none", async () => {
    const none = await download("?format=png", "nobody");
    expect(none.status).toBe(401);
    expect(json(none.body).error).toContain("bearer token");
    const alice = await download("?format=png", "alice");
    expect(alice.status).toBe(403);
    expect(json(alice.body).error).toBe(`alice may not get artworks.aria.dev "harbour" in namespace "${ns}"`);
    const gone = await httpsJson(operator, `/api/namespaces/${ns}/artworks/no-such-art/export?format=png`, {
      ca: servingTls().ca,
      token: controlPlane().tokens.admin,
    });
    expect(gone.status).toBe(404);
    expect(gone.body.error).toBe(`Artwork "no-such-art" not found in namespace "${ns}"`);
  });
});
