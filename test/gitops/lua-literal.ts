// A JSON value written as a Lua table literal, for run-health.lua: strings byte by byte with
// decimal escapes so every UTF-8 message survives, arrays 1-based as Lua's ipairs expects.
export function luaLiteral(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return luaString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `{${value.map(luaLiteral).join(",")}}`;
  const fields = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `[${luaString(k)}]=${luaLiteral(v)}`,
  );
  return `{${fields.join(",")}}`;
}

function luaString(s: string) {
  let out = '"';
  for (const byte of Buffer.from(s, "utf8")) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c;
    out += printable ? String.fromCharCode(byte) : `\\${byte}`;
  }
  return out + '"';
}
