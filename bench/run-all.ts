// npm run bench: every benchmark in turn, each in its own process (as it runs alone), so one's
// memory and threads do not colour the next one's figures. Exits non-zero if any script failed.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPTS = [
  "worker-pipeline.ts",
  "reference-pipeline.ts",
  "model-families.ts",
  "model-download.ts",
  "cold-start.ts",
  "scheduling-scale.ts",
  "memory-growth.ts",
  "gallery-browser.ts",
  "exports.ts",
];

const failed: string[] = [];
for (const script of SCRIPTS) {
  console.log(`\n━━━ bench/${script} ━━━\n`);
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL(script, import.meta.url)), ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  if (result.status !== 0) failed.push(`${script} (exit ${result.status ?? result.signal})`);
}
if (failed.length > 0) {
  console.log(`\nfailed: ${failed.join(", ")}`);
  process.exit(1);
}
