import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTokenizerFiles } from "../../models/tokenizer-files.ts";
import { BPE_CACHE_WORDS, ClipTokenizer } from "./clip-tokenizer.ts";

/**
 * Reference ids (up to and including the end token) from Hugging Face transformers 5.24.0
 * `CLIPTokenizer(vocab_file, merges_file)` over the files `writeTokenizerFiles` produces from the
 * committed CLIP BPE file (same vocabulary as openai/clip-vit-base-patch32), in a throwaway venv
 * (`pip install transformers`; its CLIPTokenizer is the `tokenizers`-backed one):
 *   tok(text, padding="max_length", max_length=77, truncation=True)["input_ids"]
 */
const REFERENCE: Array<[string, number[]]> = [
  ["a photo of a cat", [49406, 320, 1125, 539, 320, 2368, 49407]],
  ["A RED Sunset over the OCEAN!!", [49406, 320, 736, 3424, 962, 518, 4918, 748, 49407]],
  [
    "it's 2024, isn't it? 3.14159",
    [49406, 585, 568, 273, 271, 273, 275, 267, 2923, 713, 585, 286, 274, 269, 272, 275, 272, 276, 280, 49407],
  ],
  ["café naïve résumé", [49406, 15304, 1097, 35689, 563, 29106, 7054, 4166, 49407]],
  ["🎨🖌️ a painting 👩‍🎨", [49406, 31953, 6269, 234, 1001, 320, 3086, 26304, 13461, 49407]],
  [
    "东京的夜景 桜の花",
    [
      49406, 19759, 250, 21078, 105, 163, 248, 226, 23170, 250, 48132, 363, 162, 43991, 21575, 164, 232, 365,
      49407,
    ],
  ],
  [
    "שלום עולם مرحبا بالعالم",
    [
      49406, 147, 102, 147, 250, 147, 243, 147, 507, 147, 95, 147, 243, 147, 250, 147, 507, 12986, 10948,
      25722, 16378, 22625, 16378, 12973, 18843, 12973, 29945, 49407,
    ],
  ],
  ["  multiple   spaces\tand\nnewlines  ", [49406, 6470, 9006, 537, 1218, 3418, 49407]],
  ["", [49406, 49407]],
  ["<|endoftext|> hello", [49406, 49407, 3306, 49407]],
];

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

  it.each(REFERENCE)("matches HF CLIPTokenizer for %j", (text, expected) => {
    const { inputIds, attentionMask, truncated } = tokenizer.encode(text);
    expect(inputIds).toHaveLength(77);
    expect(inputIds.slice(0, expected.length)).toEqual(expected);
    expect(inputIds.slice(expected.length).every((id) => id === 49407)).toBe(true);
    expect(attentionMask.reduce((a, b) => a + b, 0)).toBe(expected.length);
    expect(truncated).toBe(false);
  });

  it("truncates long prompts to start + 75 tokens + end and says so", () => {
    const { inputIds, attentionMask, truncated } = tokenizer.encode(Array(100).fill("colourful").join(" "));
    // HF gives 49406, 75 × 15562 ("colourful</w>"), 49407 for this prompt.
    expect(inputIds).toEqual([49406, ...Array<number>(75).fill(15562), 49407]);
    expect(attentionMask.every((m) => m === 1)).toBe(true);
    expect(truncated).toBe(true);
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
