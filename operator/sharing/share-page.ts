// The page a share link opens: Open Graph and Twitter card tags, so a chat or social network that
// is sent the link shows the picture and its prompt, and a plain page for the person who clicks it.
import { escapeMarkup as x } from "../../lib/encoding/escape-markup.ts";

export interface SharePage {
  prompt: string;
  description: string;
  /** Absolute URLs: crawlers resolve nothing. */
  pageUrl: string;
  imageUrl: string;
  imageWidth: number;
  imageHeight: number;
  galleryUrl: string;
}

/** Previews cut titles at about 60–90 characters; a prompt may be 2,000. */
const TITLE_CHARACTERS = 200;

function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, max - 1)
        .join("")
        .trimEnd()}…`;
}

const STYLE = `
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #14141a;
    color: #ecebf2; font: 16px/1.5 system-ui, sans-serif; }
  main { max-width: min(92vw, 1200px); padding: 24px; text-align: center; }
  img { max-width: 100%; height: auto; border-radius: 8px; box-shadow: 0 8px 32px #0008; }
  figcaption { margin: 16px auto; max-width: 60ch; }
  a { color: #b9a7ff; font-weight: 600; }`;

/** An HTML document with the head every share page has (and no index entry), then its own. */
function document(title: string, head: string[], body: string[]): string {
  return [
    "<!doctype html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="robots" content="noindex">`,
    `<title>${x(title)} · Aria</title>`,
    ...head,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<main>",
    ...body,
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

export function renderSharePage(p: SharePage): string {
  const title = shorten(p.prompt, TITLE_CHARACTERS);
  return document(
    title,
    [
      `<meta name="description" content="${x(p.description)}">`,
      `<meta property="og:type" content="website">`,
      `<meta property="og:site_name" content="Aria">`,
      `<meta property="og:title" content="${x(title)}">`,
      `<meta property="og:description" content="${x(p.description)}">`,
      `<meta property="og:url" content="${x(p.pageUrl)}">`,
      `<meta property="og:image" content="${x(p.imageUrl)}">`,
      `<meta property="og:image:type" content="image/jpeg">`,
      `<meta property="og:image:width" content="${p.imageWidth}">`,
      `<meta property="og:image:height" content="${p.imageHeight}">`,
      `<meta property="og:image:alt" content="${x(title)}">`,
      `<meta name="twitter:card" content="summary_large_image">`,
      `<meta name="twitter:title" content="${x(title)}">`,
      `<meta name="twitter:description" content="${x(p.description)}">`,
      `<meta name="twitter:image" content="${x(p.imageUrl)}">`,
    ],
    [
      "<figure>",
      `<img src="${x(p.imageUrl)}" width="${p.imageWidth}" height="${p.imageHeight}" alt="${x(title)}">`,
      `<figcaption>${x(p.prompt)}</figcaption>`,
      "</figure>",
      `<p><a href="${x(p.galleryUrl)}">Open in the gallery</a></p>`,
    ],
  );
}

/** What an expired, altered or unknown link shows. */
export function renderMissingSharePage(): string {
  return document(
    "Link not found",
    [],
    [
      "<h1>This link does not work</h1>",
      "<p>It has expired, was changed, or its artwork was deleted. Ask the person who shared it for a new one.</p>",
    ],
  );
}
