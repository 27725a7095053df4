/**
 * A text the tokenizer takes as one token wherever it appears (transformers' AddedToken): the special
 * tokens, and for SD 2.x's tokenizer its pad token "!", which so never reaches BPE.
 */
export interface AddedToken {
  content: string;
  /** Found in the normalised (lower-cased) text; otherwise only as written, so `<|ENDOFTEXT|>` is not it. */
  normalized: boolean;
}

/** transformers' named special tokens in the order it registers them: a later one with the same text wins. */
const NAMED = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

/**
 * The added tokens transformers 5 registers from a tokenizer folder without tokenizer.json: those in
 * tokenizer_config.json's added_tokens_decoder, then the named special tokens (special_tokens_map.json
 * over tokenizer_config.json). A name given as a plain string is matched as written unless
 * added_tokens_decoder already has that text; one given as an object carries its own `normalized`.
 */
export function namedAddedTokens(
  config: Record<string, unknown>,
  specialMap: Record<string, unknown>,
): AddedToken[] {
  const tokens = new Map<string, boolean>();
  const decoder = (config.added_tokens_decoder ?? {}) as Record<string, Record<string, unknown>>;
  for (const id of Object.keys(decoder).sort((a, b) => Number(a) - Number(b))) {
    const entry = decoder[id]!;
    if (typeof entry.content === "string") tokens.set(entry.content, entry.normalized === true);
  }
  const fromDecoder = new Set(tokens.keys());
  for (const name of NAMED) {
    const value = specialMap[name] ?? config[name];
    if (typeof value === "string") {
      if (fromDecoder.has(value)) continue;
      tokens.delete(value);
      tokens.set(value, false);
    } else if (
      value &&
      typeof value === "object" &&
      typeof (value as { content?: unknown }).content === "string"
    ) {
      const { content, normalized } = value as { content: string; normalized?: unknown };
      tokens.delete(content);
      tokens.set(content, normalized === true);
    }
  }
  return [...tokens].map(([content, normalized]) => ({ content, normalized }));
}

/** tokenizer.json's added_tokens, which transformers takes as they are when the file is there. */
export function tokenizerJsonAddedTokens(added: unknown): AddedToken[] {
  if (!Array.isArray(added)) return [];
  return added
    .filter((t): t is { content: string; normalized?: unknown } => typeof t?.content === "string")
    .map((t) => ({ content: t.content, normalized: t.normalized === true }));
}

/** A splitter that yields text and added tokens in turn (odd indices are tokens), longest match first. */
export function addedTokenSplitter(tokens: readonly AddedToken[]): RegExp | undefined {
  if (tokens.length === 0) return undefined;
  const alternatives = [...tokens]
    .map((t) => t.content)
    .sort((a, b) => b.length - a.length)
    .map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`(${alternatives.join("|")})`, "u");
}
