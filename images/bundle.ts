// The esbuild bundles the images run (`npm run build` writes the operator's to dist/):
// one ESM file per process, plus the files they open at run time beside them.
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type BuildOptions, type Plugin } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Packages with native bindings: not bundled, shipped as a pruned node_modules (runtime-modules.ts). */
export const NATIVE_EXTERNALS = ["onnxruntime-node", "sharp"];
/** The operator's: sharp (thumbnails, exports) and the SVG tracer. */
export const OPERATOR_EXTERNALS = ["sharp", "@neplex/vectorizer"];

/** The inference thread runs in a Worker of its own, so it is an entry of its own. */
const THREAD_SOURCE = "./inference-thread.ts";
const THREAD_BUNDLE = "./inference-thread.mjs";

const common: BuildOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  // Bundled CommonJS packages (client-node, express, ...) call require(); ESM has none.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
};

/**
 * dist/aria-operator.mjs, its native packages external (the image ships them beside it), and the gallery web
 * app built by Vite into gallery/ beside it, where the operator looks for it.
 */
export async function bundleOperator(outdir = join(ROOT, "dist")): Promise<string[]> {
  const outfile = join(outdir, "aria-operator.mjs");
  await build({
    ...common,
    external: OPERATOR_EXTERNALS,
    entryPoints: [join(ROOT, "operator/main.ts")],
    outfile,
  });
  const gallery = join(outdir, "gallery");
  // Loaded only here: building the worker's image needs no Vite.
  const { build: vite } = await import("vite");
  await vite({
    configFile: join(ROOT, "gallery", "vite.config.ts"),
    logLevel: "warn",
    build: { outDir: gallery, emptyOutDir: true },
  });
  return [outfile, gallery];
}

/**
 * The worker: aria-worker.mjs and inference-thread.mjs (the thread's entry), with the native
 * packages external, and the CLIP BPE file the built-in models' builders read
 * (models/tokenizer-files.ts opens it relative to the bundle).
 */
export async function bundleWorker(outdir = join(ROOT, "dist", "worker")): Promise<string[]> {
  const options: BuildOptions = { ...common, external: NATIVE_EXTERNALS, plugins: [threadEntry] };
  const main = join(outdir, "aria-worker.mjs");
  const thread = join(outdir, THREAD_BUNDLE);
  await build({ ...options, entryPoints: [join(ROOT, "worker/main.ts")], outfile: main });
  await build({
    ...options,
    entryPoints: [join(ROOT, "worker/inference/inference-thread.ts")],
    outfile: thread,
  });
  const vocab = join(outdir, "tokenizer", "bpe_simple_vocab_16e6.txt.gz");
  await mkdir(dirname(vocab), { recursive: true });
  await copyFile(join(ROOT, "models/tokenizer/bpe_simple_vocab_16e6.txt.gz"), vocab);
  return [main, thread, vocab];
}

/**
 * The bundle builds the built-in models into a folder (images/bake-models.ts). It must sit where the
 * worker bundle sits: the models' cache key hashes the builder files beside the code that runs.
 */
export async function bundleModelBaker(outfile: string): Promise<void> {
  await build({
    ...common,
    sourcemap: false,
    external: NATIVE_EXTERNALS,
    entryPoints: [join(ROOT, "images/bake-models.ts")],
    outfile,
  });
}

/**
 * inference-host.ts starts its thread from `new URL("./inference-thread.ts", import.meta.url)`,
 * which esbuild leaves as it is; in the bundle that file is inference-thread.mjs beside it.
 */
const threadEntry: Plugin = {
  name: "inference-thread-entry",
  setup(b) {
    b.onLoad({ filter: /worker[\\/]inference[\\/]inference-host\.ts$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const quoted = JSON.stringify(THREAD_SOURCE);
      if (!source.includes(quoted)) {
        return {
          errors: [{ text: `inference-host.ts no longer starts ${quoted}; update images/bundle.ts` }],
        };
      }
      return { contents: source.replace(quoted, JSON.stringify(THREAD_BUNDLE)), loader: "ts" };
    });
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const which = process.argv[2];
  const files =
    which === "operator" ? await bundleOperator() : which === "worker" ? await bundleWorker() : [];
  if (!files.length) {
    console.error("usage: tsx images/bundle.ts operator|worker");
    process.exit(2);
  }
  for (const file of files) console.log(`wrote ${file}`);
}
