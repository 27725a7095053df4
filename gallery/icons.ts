// The app's icons, rendered from icon.svg at build time (sharp), so no binary image lives in git:
// "any" icons at the sizes installers ask for and a maskable one with the safe-zone padding.
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import type { Plugin } from "vite";

export const ICON_SIZES = [192, 512] as const;

export function iconsPlugin(svgPath: string): Plugin {
  return {
    name: "aria-icons",
    async generateBundle() {
      const svg = await readFile(svgPath);
      for (const size of ICON_SIZES) {
        const png = await sharp(svg, { density: 300 }).resize(size, size).png().toBuffer();
        this.emitFile({ type: "asset", fileName: `icons/icon-${size}.png`, source: png });
      }
      // Maskable: the artwork inside the central 80 % circle, the rest the background colour.
      const inner = Math.round(512 * 0.8);
      const art = await sharp(svg, { density: 300 }).resize(inner, inner).png().toBuffer();
      const maskable = await sharp({
        create: { width: 512, height: 512, channels: 4, background: "#1b1238" },
      })
        .composite([{ input: art, gravity: "centre" }])
        .png()
        .toBuffer();
      this.emitFile({ type: "asset", fileName: "icons/maskable-512.png", source: maskable });
    },
  };
}
