// Writes crds/*.yaml from the TypeScript definitions. `--check` exits non-zero when a file is stale.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { KINDS } from "./api.ts";
import { crdFileName, crdYaml } from "./crd.ts";

const dir = fileURLToPath(new URL(".", import.meta.url));

export async function staleCrdFiles(): Promise<string[]> {
  const stale: string[] = [];
  for (const def of KINDS) {
    const current = await readFile(dir + crdFileName(def), "utf8").catch(() => "");
    if (current !== crdYaml(def)) stale.push(crdFileName(def));
  }
  return stale;
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
  for (const def of KINDS) {
    await writeFile(dir + crdFileName(def), crdYaml(def));
    console.log(`crds: wrote ${crdFileName(def)}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
