// The gallery's build: `npm run build:gallery` writes dist/gallery, which the operator serves at /.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import { ICON_SIZES, iconsPlugin } from "./icons.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: HERE,
  base: "/",
  build: {
    outDir: join(HERE, "..", "dist", "gallery"),
    emptyOutDir: true,
    target: "es2022",
    rollupOptions: {
      input: { main: join(HERE, "index.html"), offline: join(HERE, "offline.html") },
    },
  },
  plugins: [
    iconsPlugin(join(HERE, "icon.svg")),
    VitePWA({
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.ts",
      injectRegister: false,
      injectManifest: { globPatterns: ["**/*.{js,css,html,png,svg,webmanifest}"] },
      manifest: {
        id: "/",
        name: "Aria gallery",
        short_name: "Aria",
        description: "Browse, create, watch and react to Aria's art.",
        start_url: "/",
        scope: "/",
        display: "standalone",
        background_color: "#120c26",
        theme_color: "#1b1238",
        icons: [
          ...ICON_SIZES.map((s) => ({ src: `/icons/icon-${s}.png`, sizes: `${s}x${s}`, type: "image/png" })),
          { src: "/icons/maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
        shortcuts: [
          { name: "Gallery", url: "/#/", icons: [{ src: "/icons/icon-192.png", sizes: "192x192" }] },
          { name: "Create", url: "/#/create", icons: [{ src: "/icons/icon-192.png", sizes: "192x192" }] },
        ],
      },
    }),
  ],
});
