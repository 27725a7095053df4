import { CONCEPTS } from "./concepts.ts";
import { builtinTokenizer, clipVocabulary } from "./tokenizer-files.ts";

/** Words outside the concept table fall into this many hash buckets (they nudge composition only). */
export const WORD_BUCKETS = 64;

export interface ConceptTokens {
  /** For every vocabulary id: 0 = ignored (specials), 1..C = concept index + 1, C+1.. = word bucket + C + 1. */
  table: Int32Array;
}

let cached: ConceptTokens | undefined;

/**
 * Looks each concept word up in the real CLIP vocabulary. A word that BPE splits into several tokens
 * is recognised by its longest word-initial or inner piece of at least 4 characters ("melan" for
 * "melancholic"); short pieces and word-final pieces are real words or too common ("an</w>" in
 * "cyan"), so words without a distinctive piece are left out.
 */
export function conceptTokens(): ConceptTokens {
  if (cached) return cached;
  const tokenizer = builtinTokenizer();
  const { tokens } = clipVocabulary();
  const size = tokens.length;
  const table = new Int32Array(size);
  for (let id = 0; id < size; id++) table[id] = 1 + CONCEPTS.length + (id % WORD_BUCKETS);
  table[tokenizer.startId] = 0;
  table[tokenizer.endId] = 0;
  CONCEPTS.forEach((concept, index) => {
    for (const word of concept.words) {
      const id = distinctiveToken(tokenizer.encodeText(word), tokens);
      if (id !== undefined) table[id] = index + 1;
    }
  });
  cached = { table };
  return cached;
}

function distinctiveToken(ids: number[], tokens: string[]): number | undefined {
  if (ids.length === 1) return ids[0];
  const inner = ids.filter((id) => !tokens[id]!.endsWith("</w>") && tokens[id]!.length >= 4);
  return inner.sort((a, b) => tokens[b]!.length - tokens[a]!.length)[0];
}
