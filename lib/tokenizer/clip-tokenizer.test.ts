import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clipVocabulary, writeTokenizerFiles } from "../../models/tokenizer-files.ts";
import { writeSdTokenizer } from "../../test/reference/sd-tokenizers.ts";
import { BPE_CACHE_WORDS, ClipTokenizer } from "./clip-tokenizer.ts";

interface FixtureCase {
  prompt: string;
  sd15: { ids: number[]; length: number };
  sd2: { ids: number[]; length: number };
}

/**
 * transformers' CLIPTokenizer on a few hundred varied prompts, for SD 1.5 and SD 2 style tokenizer
 * folders over the real CLIP vocabulary: `ids` as a diffusers pipeline feeds them (77, truncated,
 * padded), `length` the whole prompt's. Regenerate: npx tsx test/reference/clip-tokenizer-fixture.ts
 */
const FIXTURE = JSON.parse(
  readFileSync(new URL("./clip-tokenizer.fixture.json", import.meta.url), "utf8"),
) as { generator: string; cases: FixtureCase[] };
const CONTEXT = 77;

describe.each(["sd15", "sd2"] as const)("ClipTokenizer with %s tokenizer files", (style) => {
  let dir: string;
  let tokenizer: ClipTokenizer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `aria-tokenizer-${style}-`));
    await writeSdTokenizer(dir, style);
    tokenizer = await ClipTokenizer.fromDir(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(FIXTURE.cases.map((c, i) => [i, JSON.stringify(c.prompt).slice(0, 60), c] as const))(
    `gives ${FIXTURE.generator}'s ids for prompt %i %s`,
    (_, __, { prompt, [style]: expected }) => {
      const { inputIds, truncated, droppedTokens } = tokenizer.encode(prompt);
      expect(inputIds).toEqual(expected.ids);
      expect(droppedTokens).toBe(Math.max(0, expected.length - CONTEXT));
      expect(truncated).toBe(expected.length > CONTEXT);
    },
  );
});

describe("ClipTokenizer", () => {
  let dir: string;
  let tokenizer: ClipTokenizer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aria-tokenizer-"));
    await writeTokenizerFiles(dir);
    tokenizer = await ClipTokenizer.fromDir(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("truncates long prompts to start + 75 tokens + end and says so", () => {
    const { inputIds, attentionMask, truncated, droppedTokens } = tokenizer.encode(
      Array(100).fill("colourful").join(" "),
    );
    // HF gives 49406, 75 × 15562 ("colourful</w>"), 49407 for this prompt.
    expect(inputIds).toEqual([49406, ...Array<number>(75).fill(15562), 49407]);
    expect(attentionMask.every((m) => m === 1)).toBe(true);
    expect(truncated).toBe(true);
    expect(droppedTokens).toBe(25);
  });

  it("splits a long prompt into windows of start + 75 tokens + end, losing no token", () => {
    const windows = tokenizer.encodeWindows(Array(160).fill("colourful").join(" "));
    expect(windows.map((w) => w.inputIds.length)).toEqual([77, 77, 77]);
    expect(windows[0]!.inputIds).toEqual([49406, ...Array<number>(75).fill(15562), 49407]);
    expect(windows[1]!.inputIds).toEqual([49406, ...Array<number>(75).fill(15562), 49407]);
    // 160 − 150 = 10 left for the last window, then padding (the end id for SD 1.5's files).
    expect(windows[2]!.inputIds.slice(0, 12)).toEqual([49406, ...Array<number>(10).fill(15562), 49407]);
    expect(windows[2]!.attentionMask.filter((m) => m === 1)).toHaveLength(12);
    expect(tokenizer.encodeWindows("")).toEqual([tokenizer.encode("")]);
  });

  it("ends a window at the last sentence or phrase that fits, as compel does", () => {
    const words = (n: number, word: string) => Array(n).fill(word).join(" ");
    // 60 words, a comma, 30 more: the first window ends at the comma (61 tokens), not mid-phrase.
    const phrase = tokenizer.encodeWindows(`${words(60, "colourful")}, ${words(30, "castle")}`);
    expect(phrase.map((w) => w.attentionMask.filter((m) => m === 1).length - 2)).toEqual([61, 30]);
    // A full stop is preferred over a later comma.
    const sentence = tokenizer.encodeWindows(
      `${words(40, "colourful")}. ${words(20, "castle")}, ${words(30, "castle")}`,
    );
    expect(sentence.map((w) => w.attentionMask.filter((m) => m === 1).length - 2)).toEqual([41, 51]);
  });

  it("pads with the pad token named in special_tokens_map.json", async () => {
    const padDir = await mkdtemp(join(tmpdir(), "aria-tokenizer-pad-"));
    try {
      await writeTokenizerFiles(padDir);
      await writeFile(
        join(padDir, "special_tokens_map.json"),
        JSON.stringify({ pad_token: { content: "!" } }),
      );
      const zeroPadded = await ClipTokenizer.fromDir(padDir);
      const { inputIds } = zeroPadded.encode("a cat");
      expect(zeroPadded.padId).toBe(0);
      expect(inputIds.slice(0, 5)).toEqual([49406, 320, 2368, 49407, 0]);
    } finally {
      await rm(padDir, { recursive: true, force: true });
    }
  });

  it("reads tokenizer.json, all transformers 5 saves, as it reads vocab.json and merges.txt", async () => {
    const jsonDir = await mkdtemp(join(tmpdir(), "aria-tokenizer-json-"));
    try {
      // An SD 2 style folder as transformers 5 saves it: the vocabulary, merges and added tokens in one file.
      const { tokens, merges } = clipVocabulary();
      const added = (id: number, content: string, normalized: boolean) => ({
        id,
        content,
        normalized,
        special: true,
      });
      const model = {
        type: "BPE",
        end_of_word_suffix: "</w>",
        vocab: Object.fromEntries(tokens.map((t, id) => [t, id])),
        merges,
      };
      await writeFile(
        join(jsonDir, "tokenizer.json"),
        JSON.stringify({
          added_tokens: [
            added(0, "!", false),
            added(49406, "<|startoftext|>", true),
            added(49407, "<|endoftext|>", true),
          ],
          model,
        }),
      );
      await writeFile(
        join(jsonDir, "tokenizer_config.json"),
        JSON.stringify({ pad_token: "!", model_max_length: 77 }),
      );
      const fromJson = await ClipTokenizer.fromDir(jsonDir);
      for (const { prompt, sd2 } of FIXTURE.cases) expect(fromJson.encode(prompt).inputIds).toEqual(sd2.ids);

      await writeFile(
        join(jsonDir, "tokenizer.json"),
        JSON.stringify({ model: { ...model, type: "Unigram" } }),
      );
      await expect(ClipTokenizer.fromDir(jsonDir)).rejects.toThrow(
        'tokenizer.json: model.type "Unigram" is not supported (allowed: "BPE")',
      );
    } finally {
      await rm(jsonDir, { recursive: true, force: true });
    }
  });

  it("remembers a bounded number of words however many distinct prompts it sees", async () => {
    const word = (i: number) => `zq${i.toString(36)}x`;
    for (let i = 0; i < BPE_CACHE_WORDS + 5_000; i++) tokenizer.encode(`a ${word(i)} sunset`);
    expect(tokenizer.cachedWords).toBeLessThanOrEqual(BPE_CACHE_WORDS);
    // An evicted word encodes as it did the first time (the cache changes speed, never ids).
    const uncached = await ClipTokenizer.fromDir(dir);
    expect(tokenizer.encode(`a ${word(0)} sunset`).inputIds).toEqual(
      uncached.encode(`a ${word(0)} sunset`).inputIds,
    );
  });
});
