import { readFileSync } from "node:fs";
import { writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { byteVocabularyOrder } from "../lib/tokenizer/bytes-to-unicode.ts";
import { ClipTokenizer, END_TOKEN, START_TOKEN } from "../lib/tokenizer/clip-tokenizer.ts";

/** OpenAI CLIP's BPE file, committed beside the builders (see models/tokenizer/README.md). */
const BPE_VOCAB_PATH = new URL("./tokenizer/bpe_simple_vocab_16e6.txt.gz", import.meta.url);

/** simple_tokenizer.py keeps merge lines 1 .. 49152-256-2 of the file: 48,894 merges. */
const MERGE_COUNT = 49152 - 256 - 2;

export interface ClipVocabulary {
  /** Tokens in id order (49,408 for CLIP). */
  tokens: string[];
  merges: Array<[string, string]>;
}

let loaded: ClipVocabulary | undefined;

/** Derives the CLIP vocabulary exactly as simple_tokenizer.py does: bytes, bytes+`</w>`, merges, specials. */
export function clipVocabulary(): ClipVocabulary {
  if (loaded) return loaded;
  const lines = gunzipSync(readFileSync(BPE_VOCAB_PATH)).toString("utf8").split("\n");
  const merges = lines.slice(1, 1 + MERGE_COUNT).map((line) => line.split(" ") as [string, string]);
  const bytes = byteVocabularyOrder();
  const tokens = [
    ...bytes,
    ...bytes.map((b) => `${b}</w>`),
    ...merges.map(([a, b]) => a + b),
    START_TOKEN,
    END_TOKEN,
  ];
  loaded = { tokens, merges };
  return loaded;
}

/** A tokenizer over the committed vocabulary, used at build time to find concept words' token ids. */
export function builtinTokenizer(): ClipTokenizer {
  const { tokens, merges } = clipVocabulary();
  return new ClipTokenizer(new Map(tokens.map((t, id) => [t, id])), merges);
}

/** Writes `vocab.json`, `merges.txt`, `tokenizer_config.json`, `special_tokens_map.json` (HF CLIPTokenizer). */
export async function writeTokenizerFiles(dir: string): Promise<void> {
  const { tokens, merges } = clipVocabulary();
  await mkdir(dir, { recursive: true });
  // Written by hand so keys stay in id order (JSON.stringify would hoist integer-like keys such as "7").
  const vocabJson = `{${tokens.map((t, id) => `${JSON.stringify(t)}: ${id}`).join(", ")}}\n`;
  await writeFile(join(dir, "vocab.json"), vocabJson);
  await writeFile(
    join(dir, "merges.txt"),
    `#version: 0.2\n${merges.map(([a, b]) => `${a} ${b}`).join("\n")}\n`,
  );
  const special = {
    bos_token: START_TOKEN,
    eos_token: END_TOKEN,
    pad_token: END_TOKEN,
    unk_token: END_TOKEN,
  };
  await writeFile(join(dir, "special_tokens_map.json"), `${JSON.stringify(special, null, 2)}\n`);
  const config = {
    tokenizer_class: "CLIPTokenizer",
    ...special,
    model_max_length: 77,
    do_lower_case: true,
    add_prefix_space: false,
    errors: "replace",
  };
  await writeFile(join(dir, "tokenizer_config.json"), `${JSON.stringify(config, null, 2)}\n`);
}
