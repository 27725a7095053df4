// Text placed in HTML or XML (share pages, SVG, XMP): the five special characters as entities, and
// the code points XML 1.0 does not allow at all (C0 controls but tab and newlines, unpaired
// surrogates, U+FFFE/U+FFFF) left out, so a strict parser accepts any prompt a user typed.
const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

const NOT_XML =
  // Control characters are what this removes.
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeMarkup(text: string): string {
  return text.replace(NOT_XML, "").replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
