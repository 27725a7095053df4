// Export figures: how long the operator takes to turn a stored candidate PNG into each download
// format (exportImage, in process: the HTTP route adds a storage read and the access reviews), and
// how large the file is, for real renders of the built-in model at 512² and 1024².
// Run: npx tsx bench/exports.ts [--repeats 5]
import { ARTWORK_DEFAULTS } from "../crds/artwork.ts";
import { readPngParameters } from "../lib/encoding/png-parameters.ts";
import { ensureBuiltinModel } from "../models/builtin.ts";
import { EXPORT_FORMATS, exportImage } from "../operator/exports/export-image.ts";
import { InferenceHost } from "../worker/inference/inference-host.ts";
import { generatorDefaults } from "../worker/pipeline/generator-defaults.ts";
import type { ModelSpec } from "../worker/pipeline/render-request.ts";
import { machineFacts, numberFlag, printTable, since, type Figure } from "./report.ts";

const REPEATS = numberFlag("repeats", 5);
const SIZES = [512, 1024];
const PROMPT = "a red sunset over a calm sea, warm and glowing";

const specs: ModelSpec[] = [
  { name: "aria-painter", role: "generator", dir: await ensureBuiltinModel("aria-painter") },
  { name: "aria-clip", role: "clip", dir: await ensureBuiltinModel("aria-clip") },
  { name: "aria-aesthetic", role: "aesthetic", dir: await ensureBuiltinModel("aria-aesthetic") },
];
const defaults = await generatorDefaults(specs[0]!.name, specs[0]!.dir);
machineFacts({
  Images: `aria-painter renders of "${PROMPT}" at ${SIZES.map((s) => `${s}²`).join(" and ")}; ${REPEATS} repeats per format`,
});

const host = await InferenceHost.start({ models: specs, accelerator: "cpu" });
const rows: Figure[] = [];
try {
  for (const size of SIZES) {
    const result = await host.render(
      {
        prompt: PROMPT,
        model: "aria-painter",
        seed: 1234,
        steps: defaults.steps,
        guidanceScale: defaults.guidanceScale,
        scheduler: defaults.scheduler,
        width: size,
        height: size,
        variations: 1,
        curation: { weights: ARTWORK_DEFAULTS.weights },
        output: { formats: ["png"], upscale: 1 },
      },
      () => {},
    );
    const png = result.candidates[0]!.png;
    const text = { title: PROMPT, parameters: readPngParameters(png).parameters };
    for (const format of EXPORT_FORMATS) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < REPEATS; i++) {
        const start = performance.now();
        const out = await exportImage(png, format, text);
        times.push(since(start));
        bytes = out.data.length;
      }
      rows.push({
        figure: `${size}² → ${format} (${(bytes / 1024).toFixed(0)} KiB)`,
        samples: times,
        unit: "ms",
      });
    }
  }
} finally {
  await host.close();
}
printTable("Exports (exportImage, in process)", rows);
