import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { LRUCache } from "lru-cache";
import {
  addedTokenSplitter,
  namedAddedTokens,
  tokenizerJsonAddedTokens,
  type AddedToken,
} from "./added-tokens.ts";
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
  /** How many of the prompt's tokens were cut (0 when it fit). */
  droppedTokens: number;
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
  /** Texts taken as one token wherever they appear; by default the start and end tokens, as written. */
  addedTokens?: AddedToken[];
  /** Words whose BPE split is cached (default BPE_CACHE_WORDS). */
  cacheWords?: number;
}

/**
 * CLIP's pre-tokenisation pattern (HF CLIPTokenizer's Split). Whitespace is Unicode's White_Space, as
 * in the reference's regex engine: JavaScript's `\s` would also take U+FEFF and miss U+0085.
 */
const PATTERN = /'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\p{White_Space}\p{L}\p{N}]+/gu;
const WHITESPACE = /\p{White_Space}+/gu;

/**
 * The CLIP byte-level BPE tokenizer, reading the Hugging Face layout (`tokenizer.json`, or `vocab.json`
 * and `merges.txt`, with `special_tokens_map.json` / `tokenizer_config.json`) so it works for the
 * built-in models and real Stable Diffusion and CLIP exports alike, id for id with transformers 5.
 */
export class ClipTokenizer {
  readonly startId: number;
  readonly endId: number;
  readonly padId: number;
  readonly contextLength: number;
  /** Added tokens found in the text as written, and those found after normalising. */
  private readonly rawAdded: RegExp | undefined;
  private readonly normalizedAdded: RegExp | undefined;
  private readonly ranks: Map<string, number>;
  private readonly byteEncoder = bytesToUnicode();
  private readonly cache: LRUCache<string, string[]>;
  /** Token text by id, made the first time a long prompt is split. */
  private tokensById: string[] | undefined;

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
    const added = options.addedTokens ?? [
      { content: START_TOKEN, normalized: false },
      { content: END_TOKEN, normalized: false },
    ];
    for (const token of added) requireId(vocab, token.content);
    this.rawAdded = addedTokenSplitter(added.filter((t) => !t.normalized));
    this.normalizedAdded = addedTokenSplitter(added.filter((t) => t.normalized));
    this.cache = new LRUCache({ max: options.cacheWords ?? BPE_CACHE_WORDS });
  }

  /** Words whose BPE split is cached now; at most the cacheWords option. */
  get cachedWords(): number {
    return this.cache.size;
  }

  /**
   * Loads a tokenizer directory in the HF CLIPTokenizer layout; the pad id comes from its special
   * tokens. Like transformers 5, it takes tokenizer.json when there (what transformers 5 saves) and
   * vocab.json with merges.txt otherwise.
   */
  static async fromDir(dir: string): Promise<ClipTokenizer> {
    const config = await readOptionalJson(join(dir, "tokenizer_config.json"));
    const special = await readOptionalJson(join(dir, "special_tokens_map.json"));
    const fast = await readOptionalJson(join(dir, "tokenizer.json"));
    let vocab: Map<string, number>;
    let merges: Array<[string, string]>;
    let addedTokens: AddedToken[];
    if (fast.model !== undefined) {
      ({ vocab, merges } = bpeModel(fast.model as Record<string, unknown>));
      addedTokens = tokenizerJsonAddedTokens(fast.added_tokens);
    } else {
      const vocabJson = JSON.parse(await readFile(join(dir, "vocab.json"), "utf8")) as Record<string, number>;
      vocab = new Map(Object.entries(vocabJson));
      merges = parseMerges(await readFile(join(dir, "merges.txt"), "utf8"));
      addedTokens = namedAddedTokens(config, special);
    }
    const padToken = tokenContent(special.pad_token) ?? tokenContent(config.pad_token) ?? END_TOKEN;
    const maxLength = typeof config.model_max_length === "number" ? config.model_max_length : undefined;
    return new ClipTokenizer(vocab, merges, {
      padId: requireId(vocab, padToken),
      contextLength: maxLength !== undefined && maxLength <= 1024 ? maxLength : CLIP_CONTEXT_LENGTH,
      addedTokens,
    });
  }

  /** BPE token ids of the prompt without start/end tokens. */
  encodeText(text: string): number[] {
    const ids: number[] = [];
    // As transformers' added vocabulary: tokens matched as written, then the rest normalised and
    // searched for the normalised ones, then what is left pre-tokenised and BPE-encoded.
    for (const [raw, rawIsToken] of splitAdded(text, this.rawAdded)) {
      if (rawIsToken) {
        ids.push(requireId(this.vocab, raw));
        continue;
      }
      for (const [part, isToken] of splitAdded(clean(raw), this.normalizedAdded)) {
        if (isToken) {
          ids.push(requireId(this.vocab, part));
          continue;
        }
        for (const word of part.match(PATTERN) ?? []) {
          const encoded = Array.from(new TextEncoder().encode(word), (b) => this.byteEncoder[b]!).join("");
          for (const piece of this.bpe(encoded)) ids.push(requireId(this.vocab, piece));
        }
      }
    }
    return ids;
  }

  /** Tokenises to a fixed window: start, ids, end, padding; long prompts are truncated. */
  encode(text: string): TokenizedPrompt {
    const body = this.encodeText(text);
    const room = this.contextLength - 2;
    const truncated = body.length > room;
    const kept = truncated ? body.slice(0, room) : body;
    return { ...this.window(kept), truncated, droppedTokens: body.length - kept.length };
  }

  /**
   * The whole prompt in windows of `contextLength`, each start, up to contextLength − 2 ids, end and
   * padding: the "chunk and concatenate" encoding of compel (`truncate_long_prompts=False`), split as
   * compel splits by default so that a window ends at a sentence ('.'), else at a phrase (',', ';',
   * ':'), else at a word's end, else where it is full. An empty prompt is one window.
   */
  encodeWindows(text: string): TokenizedPrompt[] {
    let rest = this.encodeText(text);
    const room = this.contextLength - 2;
    const windows: TokenizedPrompt[] = [];
    do {
      const split = this.splitPoint(rest, room);
      windows.push(this.window(rest.slice(0, split)));
      rest = rest.slice(split);
    } while (rest.length > 0);
    return windows;
  }

  /** compel's _find_next_best_split_point (SplitLongTextMode.SENTENCES and its fallbacks). */
  private splitPoint(ids: number[], room: number): number {
    if (ids.length <= room) return room;
    this.tokensById ??= invert(this.vocab);
    const tokens = ids.slice(0, room).map((id) => this.tokensById![id] ?? "");
    const lastIndex = (match: (token: string) => boolean) => {
      for (let i = tokens.length - 1; i >= 0; i--) if (match(tokens[i]!)) return i;
      return -1;
    };
    for (const match of [
      (t: string) => t === ".</w>",
      (t: string) => [".</w>", ",</w>", ";</w>", ":</w>"].includes(t),
      (t: string) => t.endsWith("</w>"),
    ]) {
      const at = lastIndex(match);
      if (at >= 0) return at + 1;
    }
    return room;
  }

  private window(kept: number[]): TokenizedPrompt {
    const inputIds = [this.startId, ...kept, this.endId];
    const attentionMask = new Array<number>(inputIds.length).fill(1);
    while (inputIds.length < this.contextLength) {
      inputIds.push(this.padId);
      attentionMask.push(0);
    }
    return { inputIds, attentionMask, truncated: false, droppedTokens: 0 };
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

/**
 * HF CLIPTokenizer's normaliser: NFC, whitespace runs to one space, lower-case. It lower-cases code
 * point by code point, so a word-final capital sigma becomes σ, not the ς of String#toLowerCase.
 */
function clean(text: string): string {
  return Array.from(text.normalize("NFC").replace(WHITESPACE, " "), (c) => c.toLowerCase()).join("");
}

/** The text split at added tokens: [piece, isAddedToken] in order (split() puts captures at odd indices). */
function splitAdded(text: string, splitter: RegExp | undefined): Array<[string, boolean]> {
  if (!splitter) return [[text, false]];
  return text.split(splitter).map((piece, i) => [piece, i % 2 === 1]);
}

/** tokenizer.json's model: CLIP's byte-level BPE with `</w>` word ends; anything else is refused. */
function bpeModel(model: Record<string, unknown>): {
  vocab: Map<string, number>;
  merges: Array<[string, string]>;
} {
  const refuse = (key: string, allowed: string): never => {
    throw new Error(
      `tokenizer.json: model.${key} ${JSON.stringify(model[key])} is not supported (allowed: ${allowed})`,
    );
  };
  if (model.type !== "BPE") refuse("type", '"BPE"');
  if (model.end_of_word_suffix !== "</w>") refuse("end_of_word_suffix", '"</w>" (CLIP\'s BPE)');
  if (!model.vocab || typeof model.vocab !== "object") refuse("vocab", "an object of token ids");
  if (!Array.isArray(model.merges)) refuse("merges", "a list of pairs");
  const merges = (model.merges as unknown[]).map(
    (m) => (typeof m === "string" ? m.split(" ") : m) as [string, string],
  );
  return { vocab: new Map(Object.entries(model.vocab as Record<string, number>)), merges };
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

function invert(vocab: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [token, id] of vocab) out[id] = token;
  return out;
}
