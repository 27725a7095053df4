import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { BUILTIN_MODELS, builtinVariantName, ensureBuiltinModel, type BuiltinModelName } from "./builtin.ts";
import { readManifest } from "./model-cache.ts";

/**
 * Builds every built-in model into the cache and prints, per model, its directory and the sha256 of
 * its manifest (which lists every file's sha256), then each file.
 * Usage: npx tsx models/build.ts [--xl]   (--xl also builds aria-painter-xl, ≈1 GB)
 */
const requests: Array<[BuiltinModelName, { scale?: "1gb" }]> = Object.keys(BUILTIN_MODELS).map((name) => [
  name as BuiltinModelName,
  {},
]);
if (process.argv.includes("--xl")) requests.push(["aria-painter", { scale: "1gb" }]);

for (const [name, options] of requests) {
  const started = performance.now();
  const dir = await ensureBuiltinModel(name, options);
  const manifest = await readFile(join(dir, "manifest.json"));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${builtinVariantName(name, options)}  ${dir}  sha256:${createHash("sha256").update(manifest).digest("hex")}  (${seconds} s)`,
  );
  for (const file of (await readManifest(dir)).files) {
    console.log(`  ${file.sha256}  ${String(file.bytes).padStart(11)}  ${file.path}`);
  }
}
