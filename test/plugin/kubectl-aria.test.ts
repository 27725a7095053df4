// kubectl aria as a person uses it: found by kubectl on the PATH, talking to the real API server
// through a kubeconfig, against an operator and a worker rendering for real.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLearningState, createPool, eventually, getArtwork } from "../support/artworks.ts";
import { createNamespace } from "../support/cluster.ts";
import { kubectlAria } from "../support/kubectl-aria.ts";
import { startOperator, startWorker, stopAll } from "../support/processes.ts";
import { waitForWorkerReady } from "../support/waits.ts";

let ns: string;

beforeAll(async () => {
  ns = await createNamespace("plugin");
  startOperator(ns);
  await createPool(ns, "studio", { replicas: 1 });
  await createLearningState(ns, "studio");
  await waitForWorkerReady(startWorker(ns, "studio", "w1"));
}, 600_000);
afterAll(async () => {
  await stopAll();
});

describe("kubectl aria", () => {
  it("creates an Artwork and waits for it showing its progress, then says where its image is", async () => {
    const run = await kubectlAria([
      ...["-n", ns, "create", "a red sunrise over the sea", "--mood", "joyful", "--name", "sunrise"],
      ...["--variations", "2", "--size", "64x64", "--steps", "3", "--wait", "--timeout", "120"],
    ]);
    expect(run.stderr).toContain("100%");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("artwork.aria.dev/sunrise created");
    expect(run.stdout).toMatch(/sunrise: Succeeded with aria-painter, score 0\.\d{3} \(candidate \d of 2\)/);
    expect(run.stdout).toContain("save it with: kubectl aria save sunrise");
  });

  it("lists Artworks with their scores, and one Artwork's candidates", async () => {
    const list = await kubectlAria(["-n", ns, "get"]);
    expect(list.code).toBe(0);
    const [header, row] = list.stdout.trim().split("\n");
    expect(header).toMatch(/^NAME\s+PHASE\s+PROGRESS\s+MODEL\s+MOOD\s+SCORE\s+CLIP\s+AESTHETIC\s+AGE$/);
    expect(row).toMatch(/^sunrise\s+Succeeded\s+100\s+aria-painter\s+joyful\s+0\.\d{3}\s+/);
    const one = await kubectlAria(["-n", ns, "get", "sunrise"]);
    expect(one.stdout).toContain("prompt: a red sunrise over the sea");
    expect(one.stdout).toMatch(/CANDIDATE\s+SEED\s+CLIP\s+AESTHETIC\s+TECHNICAL\s+ENSEMBLE\s+CONFIDENCE/);
    expect(one.stdout).toMatch(/\n\d \*\s+\d+/);
  });

  it("saves the selected image as stored, and converted to TIFF", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aria-save-"));
    try {
      const png = await kubectlAria(["-n", ns, "save", "sunrise"], {}, dir);
      expect(png.code).toBe(0);
      expect(png.stdout).toMatch(/^saved sunrise\.png \(\d+ bytes, png\)/);
      const art = await getArtwork(ns, "sunrise");
      const bytes = await readFile(join(dir, "sunrise.png"));
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(art.status!.selected!.images[0]!.sha256);
      const tiff = await kubectlAria(
        ["-n", ns, "save", "sunrise", "--format", "tiff", "-o", "big.tiff"],
        {},
        dir,
      );
      expect(tiff.code).toBe(0);
      const meta = await sharp(await readFile(join(dir, "big.tiff"))).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["tiff", 64, 64]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("sends reactions that are each counted once, however quickly they follow each other", async () => {
    for (const action of ["love", "love", "like"]) {
      const run = await kubectlAria(["-n", ns, "react", "sunrise", action]);
      expect(run.code, run.stderr).toBe(0);
    }
    const art = await eventually(
      () => getArtwork(ns, "sunrise"),
      (a) => (a.status?.feedback?.love ?? 0) + (a.status?.feedback?.like ?? 0) >= 3,
      30_000,
    );
    expect(art.status!.feedback).toMatchObject({ love: 2, like: 1 });
  });

  it("shows what was learned and the pool's state", async () => {
    const learned = await eventually(
      () => kubectlAria(["-n", ns, "learn"]),
      (r) => r.stdout.includes("joyful"),
      30_000,
    );
    expect(learned.stdout).toContain("studio: epsilon-greedy (explore rate 0.15");
    expect(learned.stdout).toMatch(/joyful\s+aria-painter\s+\d+\.\d{2}\s+/);
    const top = await kubectlAria(["-n", ns, "top"]);
    expect(top.stdout).toMatch(/POOL\s+WARM\s+QUEUED\s+RUNNING\s+RENDERS\/MIN\s+MODELS/);
    expect(top.stdout).toMatch(/studio\s+1\/1\s+0\s+0\s+0\.1\s+/);
  });

  it("says in one line what to do when something is wrong", async () => {
    const missing = await kubectlAria(["-n", ns, "get", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      `error: artwork "nope" in namespace "${ns}" was not found; list them with: kubectl aria get`,
    );
    const reaction = await kubectlAria(["-n", ns, "react", "sunrise", "adore"]);
    expect(reaction.stderr.trim()).toBe(
      'error: unknown reaction "adore"; use one of like, love, download, share, delete',
    );
    const size = await kubectlAria(["-n", ns, "create", "x", "--size", "big"]);
    expect(size.stderr.trim()).toBe('error: --size must be WIDTHxHEIGHT, such as 512x512; got "big"');
  });
});
