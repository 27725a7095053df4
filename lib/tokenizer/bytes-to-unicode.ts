/**
 * GPT-2/CLIP byte-to-unicode table: every byte gets a printable character so BPE can work on strings
 * without whitespace or control characters. Printable Latin-1 bytes map to themselves; the rest are
 * shifted to code points from 256 upwards, in byte order (identical to `bytes_to_unicode()` in
 * OpenAI's simple_tokenizer.py).
 */
export function bytesToUnicode(): string[] {
  const table: string[] = new Array<string>(256);
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(printable(b) ? b : 256 + shifted++);
  }
  return table;
}

/** The byte-level vocabulary order used by CLIP: printable ranges first, then the shifted bytes. */
export function byteVocabularyOrder(): string[] {
  const table = bytesToUnicode();
  const order: number[] = [];
  for (let b = 0; b < 256; b++) if (table[b]!.codePointAt(0) === b) order.push(b);
  for (let b = 0; b < 256; b++) if (table[b]!.codePointAt(0) !== b) order.push(b);
  return order.map((b) => table[b]!);
}
