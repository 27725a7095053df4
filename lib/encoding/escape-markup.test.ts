import { describe, expect, it } from "vitest";
import { escapeMarkup } from "./escape-markup.ts";

describe("escapeMarkup", () => {
  it("turns the characters that end a tag, an attribute or an entity into entities", () => {
    expect(escapeMarkup(`<script>alert("x" & 'y')</script>`)).toBe(
      "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;",
    );
  });

  it("keeps every character XML allows, newlines, accents and astral ones included", () => {
    expect(escapeMarkup("café\tnuit\n夜 🌙\r")).toBe("café\tnuit\n夜 🌙\r");
  });

  it("leaves out what no XML document may contain", () => {
    expect(escapeMarkup("a\u0000b\u0007c\u001Fd\uFFFEe\uD800f\uDC00g")).toBe("abcdefg");
  });
});
