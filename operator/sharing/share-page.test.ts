import { describe, expect, it } from "vitest";
import { renderSharePage } from "./share-page.ts";

const PAGE = {
  prompt: `a "quiet" <b>sea</b> & sky at 'dawn'`,
  description: "Made by Aria, serene mood, aria-painter",
  pageUrl: "https://aria.example/share/abc.def",
  imageUrl: "https://aria.example/share/abc.def/image",
  imageWidth: 1200,
  imageHeight: 800,
  galleryUrl: "https://aria.example/#/studio/dawn",
};

/** The content of a <meta> tag, the way a link-preview crawler reads it. */
function meta(html: string, key: string): string | undefined {
  const tag = new RegExp(`<meta (?:property|name)="${key}" content="([^"]*)">`).exec(html);
  return tag?.[1];
}

describe("renderSharePage", () => {
  it("gives crawlers the title, description, image and its size, and a large-image card", () => {
    const html = renderSharePage(PAGE);
    expect(meta(html, "og:title")).toBe(
      "a &quot;quiet&quot; &lt;b&gt;sea&lt;/b&gt; &amp; sky at &#39;dawn&#39;",
    );
    expect(meta(html, "og:description")).toBe(PAGE.description);
    expect(meta(html, "og:image")).toBe(PAGE.imageUrl);
    expect(meta(html, "og:image:width")).toBe("1200");
    expect(meta(html, "og:image:height")).toBe("800");
    expect(meta(html, "og:type")).toBe("website");
    expect(meta(html, "og:url")).toBe(PAGE.pageUrl);
    expect(meta(html, "twitter:card")).toBe("summary_large_image");
  });

  it("never lets the prompt open a tag", () => {
    const html = renderSharePage({ ...PAGE, prompt: `"><script>alert(1)</script><meta x="` });
    expect(html).not.toContain("<script>");
    expect(html.match(/<meta /g)?.length).toBe(renderSharePage(PAGE).match(/<meta /g)?.length);
  });

  it("shows the image, the whole prompt and a link into the gallery", () => {
    const long = "a lighthouse ".repeat(40).trim();
    const html = renderSharePage({ ...PAGE, prompt: long });
    expect(html).toContain(`<img src="${PAGE.imageUrl}" width="1200" height="800"`);
    expect(html).toContain(`<figcaption>${long}</figcaption>`);
    expect(html).toContain(`<a href="${PAGE.galleryUrl}">Open in the gallery</a>`);
    // The title is cut for previews, the caption is not.
    expect([...(meta(html, "og:title") ?? "")].length).toBe(200);
    expect(meta(html, "og:title")?.endsWith("…")).toBe(true);
  });
});
