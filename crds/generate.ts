// Writes crds/*.yaml from the TypeScript definitions, and the same files into the chart's crds/
// (helm installs them from there). `--check` exits non-zero when a file is stale or differs.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { KINDS } from "./api.ts";
import { crdFileName, crdYaml } from "./crd.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
/** Folders (relative to the repository) that hold the CRD files. */
const TARGETS = ["crds/", "charts/aria/crds/"];

export async function staleCrdFiles(): Promise<string[]> {
  const stale: string[] = [];
  for (const target of TARGETS) {
    for (const def of KINDS) {
      const current = await readFile(root + target + crdFileName(def), "utf8").catch(() => "");
      if (current !== crdYaml(def)) stale.push(target + crdFileName(def));
    }
  }
  // A CRD dropped from the API must not linger in the chart: helm would still install it.
  const expected = new Set(KINDS.map(crdFileName));
  const extra = (await readdir(root + TARGETS[1]!).catch(() => [])).filter(
    (f) => f.endsWith(".yaml") && !expected.has(f),
  );
  return [...stale, ...extra.map((f) => `${TARGETS[1]}${f} (no such kind)`)];
}

async function main() {
  if (process.argv.includes("--check")) {
    const stale = await staleCrdFiles();
    if (stale.length > 0) {
      console.error(`crds: stale, run npm run generate: ${stale.join(", ")}`);
      process.exit(1);
    }
    return;
  }
  for (const target of TARGETS) {
    for (const def of KINDS) {
      await writeFile(root + target + crdFileName(def), crdYaml(def));
      console.log(`crds: wrote ${target}${crdFileName(def)}`);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
