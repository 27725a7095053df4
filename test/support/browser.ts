// Debian's Chromium driven by playwright-core, for the gallery's tests: headless, with the flags
// this machine needs (no background networking: its connections would be refused), and the test
// serving certificate accepted by its public key, so the origin counts as secure (a service worker
// registers only on one) without a CA installed in the system.
import { createHash, X509Certificate } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { build } from "vite";
import { servingTls } from "./cluster.ts";

export const CHROMIUM = process.env.ARIA_CHROMIUM ?? "/usr/bin/chromium";

let built: Promise<unknown> | undefined;
/** Builds the gallery into dist/gallery once per test file, as `npm run build:gallery` does. */
export function buildGallery() {
  built ??= build({
    configFile: join(import.meta.dirname, "..", "..", "gallery", "vite.config.ts"),
    logLevel: "warn",
  });
  return built;
}

async function spkiHash(certFile: string) {
  const cert = new X509Certificate(await readFile(certFile));
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

/** Chromium's flags on this machine, trusting `certFile` (the operator's serving certificate). */
export async function galleryChromiumArgs(certFile: string): Promise<string[]> {
  return [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--ignore-certificate-errors-spki-list=${await spkiHash(certFile)}`,
  ];
}

/**
 * A browser profile of its own (persistent, so its service worker and caches survive reloads), in
 * `profile` or a new temporary folder; the benchmarks pass the certificate of their own cluster.
 */
export async function launchGalleryBrowser(
  options: { certFile?: string; profile?: string } = {},
): Promise<BrowserContext> {
  const profile = options.profile ?? (await mkdtemp(join(tmpdir(), "aria-chromium-")));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: await galleryChromiumArgs(options.certFile ?? servingTls().certFile),
  });
}
