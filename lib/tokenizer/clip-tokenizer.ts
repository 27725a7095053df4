import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { LRUCache } from "lru-cache";
import { bytesToUnicode } from "./bytes-to-unicode.ts";

export const CLIP_CONTEXT_LENGTH = 77;
export const START_TOKEN = "<|startoftext|>";
export const END_TOKEN = "<|endoftext|>";

export interface TokenizedPrompt {
  /** Exactly `contextLength` ids: start, BPE ids, end, then padding. */
  inputIds: number[];
  /** 1 for start, prompt and end tokens, 0 for padding. */
  attentionMask: number[];
  /** True when the prompt did not fit and was cut before the end token. */
  truncated: boolean;
}

/**
 * Words whose BPE split is remembered. Prompts repeat common words; every distinct one a user ever
 * typed would otherwise stay in memory for the life of the worker. 10,000 covers a working
 * vocabulary (a few MiB) while a stream of made-up words only recycles the oldest entries.
 */
export const BPE_CACHE_WORDS = 10_000;

export interface ClipTokenizerOptions {
  /** Id used after the end token; Stable Diffusion exports pad with the end id, some CLIP exports with 0. */
  padId?: number;
  contextLength?: number;
  /** Words whose BPE split is cached (default BPE_CACHE_WORDS). */
  cacheWords?: number;
}

/** CLIP's pre-tokenisation pattern (OpenAI simple_tokenizer / HF CLIPTokenizer), case-insensitive. */
const PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/**
 * The CLIP byte-level BPE tokenizer, reading the Hugging Face layout (`vocab.json`, `merges.txt`,
 * `special_tokens_map.json` / `tokenizer_config.json`) so it works for the built-in models and real
 * Stable Diffusion and CLIP exports alike.
 */
export class ClipTokenizer {
  readonly startId: number;
  readonly endId: number;
  readonly padId: number;
  readonly contextLength: number;
  private readonly ranks: Map<string, number>;
  private readonly byteEncoder = bytesToUnicode();
  private readonly cache: LRUCache<string, string[]>;

  constructor(
    private readonly vocab: Map<string, number>,
    merges: Array<[string, string]>,
    options: ClipTokenizerOptions = {},
  ) {
    this.ranks = new Map(merges.map(([a, b], rank) => [`${a} ${b}`, rank]));
    this.startId = requireId(vocab, START_TOKEN);
    this.endId = requireId(vocab, END_TOKEN);
    this.padId = options.padId ?? this.endId;
    this.contextLength = options.contextLength ?? CLIP_CONTEXT_LENGTH;
    this.cache = new LRUCache({ max: options.cacheWords ?? BPE_CACHE_WORDS });
  }

  /** Words whose BPE split is cached now; at most the cacheWords option. */
  get cachedWords(): number {
    return this.cache.size;
  }

  /** Loads a tokenizer directory in the HF CLIPTokenizer layout; the pad id comes from its special tokens. */
  static async fromDir(dir: string): Promise<ClipTokenizer> {
    const vocabJson = JSON.parse(await readFile(join(dir, "vocab.json"), "utf8")) as Record<string, number>;
    const vocab = new Map(Object.entries(vocabJson));
    const merges = parseMerges(await readFile(join(dir, "merges.txt"), "utf8"));
    const config = await readOptionalJson(join(dir, "tokenizer_config.json"));
    const special = await readOptionalJson(join(dir, "special_tokens_map.json"));
    const padToken = tokenContent(special.pad_token) ?? tokenContent(config.pad_token) ?? END_TOKEN;
    const maxLength = typeof config.model_max_length === "number" ? config.model_max_length : undefined;
    return new ClipTokenizer(vocab, merges, {
      padId: requireId(vocab, padToken),
      contextLength: maxLength !== undefined && maxLength <= 1024 ? maxLength : CLIP_CONTEXT_LENGTH,
    });
  }

  /** BPE token ids of the prompt without start/end tokens. */
  encodeText(text: string): number[] {
    const ids: number[] = [];
    for (const word of clean(text).match(PATTERN) ?? []) {
      if (word === START_TOKEN || word === END_TOKEN) {
        ids.push(requireId(this.vocab, word));
        continue;
      }
      const encoded = Array.from(new TextEncoder().encode(word), (b) => this.byteEncoder[b]!).join("");
      for (const piece of this.bpe(encoded)) ids.push(requireId(this.vocab, piece));
    }
    return ids;
  }

  /** Tokenises to a fixed window: start, ids, end, padding; long prompts are truncated. */
  encode(text: string): TokenizedPrompt {
    const body = this.encodeText(text);
    const room = this.contextLength - 2;
    const truncated = body.length > room;
    const kept = truncated ? body.slice(0, room) : body;
    const used = kept.length + 2;
    const inputIds = [this.startId, ...kept, this.endId];
    const attentionMask = new Array<number>(used).fill(1);
    while (inputIds.length < this.contextLength) {
      inputIds.push(this.padId);
      attentionMask.push(0);
    }
    return { inputIds, attentionMask, truncated };
  }

  /** Merges the lowest-ranked adjacent pair until none is mergeable; the word's last symbol carries `</w>`. */
  private bpe(token: string): string[] {
    const cached = this.cache.get(token);
    if (cached) return cached;
    const chars = Array.from(token);
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best]!;
      const second = word[best + 1]!;
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else {
          merged.push(word[i]!);
        }
      }
      word = merged;
    }
    this.cache.set(token, word);
    return word;
  }
}

/** The cleaning of HF's CLIPTokenizer (without ftfy): NFC, collapse whitespace, lower-case. */
function clean(text: string): string {
  return text.normalize("NFC").replace(/\s+/gu, " ").toLowerCase();
}

/** Parses HF merges.txt (an optional `#version` header, then one space-separated pair per line). */
function parseMerges(text: string): Array<[string, string]> {
  const merges: Array<[string, string]> = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#version") || line.trim() === "") continue;
    const [a, b] = line.split(" ");
    if (a !== undefined && b !== undefined) merges.push([a, b]);
  }
  return merges;
}

function requireId(vocab: Map<string, number>, token: string): number {
  const id = vocab.get(token);
  if (id === undefined)
    throw new Error(`CLIP tokenizer: token ${JSON.stringify(token)} is not in the vocabulary`);
  return id;
}

/** Special tokens are written either as plain strings or as `{ content: "..." }` objects. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return undefined;
}

async function readOptionalJson(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
}
