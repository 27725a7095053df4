// Share links as the people who get one meet them: the link a gallery user asks for opens, with no
// token at all, a page whose Open Graph tags a chat's link preview reads (title, image, size), and
// whose image answers a JPEG; a changed link, or one from another key, opens nothing; a second
// replica with the same mounted key honours the first's links.
import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { controlPlane, servingTls } from "../support/cluster.ts";
import { httpsBytes, httpsJson } from "../support/https.ts";
import { startOperator, stopAll, type OperatorProc } from "../support/processes.ts";
import { renderedArtworks } from "../support/rendered-artworks.ts";
import { waitForOperatorReady } from "../support/waits.ts";

const PROMPT = `<script>alert("hi")</script> a lighthouse & its "keeper"`;

let ns: string;
let operator: OperatorProc;
let keyFile: string;

function share(name: string, as: "admin" | "alice" | "nobody" = "admin", via = operator) {
  const token = as === "nobody" ? undefined : controlPlane().tokens[as];
  return httpsJson(via, `/api/namespaces/${ns}/artworks/${name}/share`, {
    ca: servingTls().ca,
    method: "POST",
    ...(token ? { token } : {}),
  });
}

/** A URL the operator handed out, fetched from its path with no credentials at all. */
function open(url: string, via = operator) {
  const { pathname } = new URL(url);
  return httpsBytes(via, pathname, { ca: servingTls().ca });
}

async function linkTo(name: string): Promise<string> {
  const res = await share(name);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.url as string;
}

/** The content of an Open Graph / Twitter <meta> tag, as a link-preview crawler reads it. */
function meta(html: string, key: string): string | undefined {
  return new RegExp(`<meta (?:property|name)="${key}" content="([^"]*)">`).exec(html)?.[1];
}

const unescape = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

beforeAll(async () => {
  keyFile = join(await mkdtemp(join(tmpdir(), "aria-share-")), "share-key");
  await writeFile(keyFile, `${randomBytes(32).toString("base64")}\n`);
  ({ ns, operator } = await renderedArtworks(
    "share",
    {
      lighthouse: { prompt: PROMPT },
      // Wider than a preview image may be: it is scaled down to 1200 px.
      panorama: { prompt: "a long coastline", width: 1280, height: 64 },
    },
    { args: ["--share-key-file", keyFile] },
  ));
}, 300_000);
afterAll(stopAll);

describe("POST …/artworks/:name/share", () => {
  it("gives a link to a page on the operator's own address, valid for 30 days", async () => {
    const res = await share("lighthouse");
    expect(res.status).toBe(201);
    const port = await operator.securePort();
    expect(res.body.url).toMatch(
      new RegExp(`^https://127\\.0\\.0\\.1:${port}/share/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`),
    );
    const days = (Date.parse(res.body.expires as string) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
  });

  it("builds the link from a reverse proxy's X-Forwarded-Proto and X-Forwarded-Host", async () => {
    const res = await httpsBytes(operator, `/api/namespaces/${ns}/artworks/lighthouse/share`, {
      ca: servingTls().ca,
      method: "POST",
      token: controlPlane().tokens.admin,
      headers: { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "gallery.example.org" },
    });
    expect(res.status).toBe(201);
    expect((JSON.parse(res.body.toString()) as { url: string }).url).toMatch(
      /^https:\/\/gallery\.example\.org\/share\//,
    );
  });

  it("answers 401 without a token, 403 to a caller who may not get the Artwork, 404 for none", async () => {
    expect((await share("lighthouse", "nobody")).status).toBe(401);
    const alice = await share("lighthouse", "alice");
    expect(alice.status).toBe(403);
    expect(alice.body.error).toBe(`alice may not get artworks.aria.dev "lighthouse" in namespace "${ns}"`);
    expect((await share("no-such-art")).status).toBe(404);
  });
});

describe("GET /share/:token", () => {
  it("opens without any token a page whose preview tags name the prompt and a JPEG of its size", async () => {
    const url = await linkTo("lighthouse");
    const page = await open(url);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    const html = page.body.toString("utf8");
    expect(unescape(meta(html, "og:title") ?? "")).toBe(PROMPT);
    expect(meta(html, "og:type")).toBe("website");
    expect(meta(html, "og:description")).toContain("Aria");
    expect(meta(html, "twitter:card")).toBe("summary_large_image");
    expect(meta(html, "og:image")).toBe(`${url}/image`);
    expect([meta(html, "og:image:width"), meta(html, "og:image:height")]).toEqual(["64", "64"]);
    expect(html).toContain(`<a href="${new URL(url).origin}/#/${ns}/lighthouse">Open in the gallery</a>`);

    const image = await open(meta(html, "og:image")!);
    expect(image.status).toBe(200);
    expect(image.headers["content-type"]).toBe("image/jpeg");
    const decoded = await sharp(image.body).metadata();
    expect([decoded.format, decoded.width, decoded.height]).toEqual(["jpeg", 64, 64]);
  });

  it("escapes a prompt full of HTML, so it shows as text and runs nothing", async () => {
    const html = (await open(await linkTo("lighthouse"))).body.toString("utf8");
    expect(html).not.toContain("<script>");
    expect(html).toContain(
      `&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; a lighthouse &amp; its &quot;keeper&quot;`,
    );
  });

  it("scales a wide image down to a 1200 px preview and says so in og:image:width/height", async () => {
    const html = (await open(await linkTo("panorama"))).body.toString("utf8");
    expect([meta(html, "og:image:width"), meta(html, "og:image:height")]).toEqual(["1200", "60"]);
    const decoded = await sharp((await open(meta(html, "og:image")!)).body).metadata();
    expect([decoded.width, decoded.height]).toEqual([1200, 60]);
  });

  it("answers 404 for a link with any one character changed, page and image alike", async () => {
    const url = await linkTo("lighthouse");
    const token = url.split("/share/")[1]!;
    const dot = token.indexOf(".");
    // In the payload (which Artwork, until when), in the signature, and its last character, whose
    // spare base64 bits a lenient decoder would ignore.
    for (const at of [2, dot - 1, dot + 3, token.length - 1]) {
      const changed = token[at] === "A" ? "B" : "A";
      const forged = url.replace(token, token.slice(0, at) + changed + token.slice(at + 1));
      for (const target of [forged, `${forged}/image`]) {
        const res = await open(target);
        expect(res.status, target).toBe(404);
        expect(res.headers["content-type"]).toContain("text/html");
        expect(res.body.toString("utf8")).toContain("This link does not work");
      }
    }
  });

  it("honours links on a second replica that mounts the same key, under its --public-url", async () => {
    const replica = startOperator(ns, {
      args: ["--share-key-file", keyFile, "--public-url", "https://art.example.org/aria/"],
    });
    await waitForOperatorReady(replica);
    const fromReplica = await share("lighthouse", "admin", replica);
    expect(fromReplica.status, JSON.stringify(fromReplica.body)).toBe(201);
    const url = fromReplica.body.url as string;
    expect(url).toMatch(/^https:\/\/art\.example\.org\/aria\/share\//);
    // Fetched from the first operator, behind the same public address.
    const path = url.replace("https://art.example.org/aria", "");
    const page = await httpsBytes(operator, path, { ca: servingTls().ca });
    expect(page.status).toBe(200);
    // And the first operator's links open on the replica, whose page names its public address.
    const html = (await open(await linkTo("lighthouse"), replica)).body.toString("utf8");
    expect(meta(html, "og:image")).toMatch(/^https:\/\/art\.example\.org\/aria\/share\/.+\/image$/);
  });
});
