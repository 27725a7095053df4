import { cp, mkdtemp, readdir, rename, rm, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuiltinModel } from "../../models/builtin.ts";
import { ClipModel } from "./clip-model.ts";
import type { RgbImage } from "./rgb-image.ts";
import { SessionFactory } from "../onnx/session-factory.ts";
import { RunMeter } from "../onnx/run-meter.ts";

const load = (dir: string) => ClipModel.load("clip", dir, new SessionFactory("cpu"), new RunMeter());

const red: RgbImage = {
  width: 32,
  height: 32,
  data: new Uint8Array(32 * 32 * 3).map((_, i) => (i % 3 ? 0 : 255)),
};

describe("ClipModel's folder layouts", () => {
  let work: string;
  let nested: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "aria-clip-layout-"));
    nested = await ensureBuiltinModel("aria-clip");
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("loads Optimum's layout, the tokenizer files beside model.onnx, as it loads tokenizer/", async () => {
    const flat = join(work, "optimum");
    await cp(nested, flat, { recursive: true });
    for (const file of await readdir(join(flat, "tokenizer"))) {
      await rename(join(flat, "tokenizer", file), join(flat, file));
    }
    await rmdir(join(flat, "tokenizer"));

    const [a, b] = [await load(nested), await load(flat)];
    try {
      const prompt = "a red sunset <|endoftext|>";
      expect((await b.score(prompt, [red], "batched")).textEmbed).toEqual(
        (await a.score(prompt, [red], "batched")).textEmbed,
      );
    } finally {
      await Promise.all([a.release(), b.release()]);
    }
  }, 60_000);

  it("refuses a folder without tokenizer files, saying where it looked", async () => {
    const bare = join(work, "bare");
    await cp(nested, bare, { recursive: true });
    await rm(join(bare, "tokenizer"), { recursive: true });
    await expect(load(bare)).rejects.toThrow(
      /clip: no CLIP tokenizer: neither tokenizer.json nor vocab.json and merges.txt are beside model.onnx \(Optimum's layout\) or in tokenizer\//,
    );
  }, 60_000);
});
