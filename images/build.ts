// `npm run images`: the operator and worker images as tarballs in dist/images/, built without a
// container engine: a cached Debian base (rootfs.ts), the official Node binary (node-binary.ts) and
// the esbuild bundles (bundle.ts) appended as layers with crane, then configured with crane mutate.
// `podman load -i` / `docker load -i` / `ctr images import` take the tarballs. `--cuda` also builds
// the CUDA worker (cuda-libraries.ts); its CUDA layer is 2.2 GB (1.5 GB gzipped), so plain builds
// and CI skip it.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { bundleModelBaker, bundleOperator, bundleWorker } from "./bundle.ts";
import { ensureCrane, startRegistry } from "./crane.ts";
import { ensureCudaLayer, stageCudaLibraries } from "./cuda-libraries.ts";
import {
  CUDA_WORKER,
  IMAGES,
  imageFileName,
  imageLabels,
  imageTag,
  MODELS_DIR,
  NODE_BIN,
  USER,
  type ImageSpec,
} from "./image-spec.ts";
import { packLayer } from "./layer.ts";
import { ensureNodeTarball } from "./node-binary.ts";
import { ensureRootfs } from "./rootfs.ts";
import { copyRuntimeModules, RUNTIME_PACKAGES } from "./runtime-modules.ts";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const IMAGES_DIR = join(ROOT, "dist", "images");

/** The image tarball of each image. */
export const imageTarball = (spec: ImageSpec) => join(IMAGES_DIR, `${imageFileName(spec)}.tar`);

/** The app's files under <root>/opt/aria (the worker's with its native packages and baked models). */
export async function stageApp(spec: ImageSpec, root: string): Promise<void> {
  const appDir = join(root, spec.workdir);
  if (spec.name === "operator") {
    await bundleOperator(appDir);
    await copyRuntimeModules(
      join(ROOT, "node_modules"),
      join(appDir, "node_modules"),
      RUNTIME_PACKAGES.operator,
    );
    return;
  }
  await bundleWorker(appDir);
  await copyRuntimeModules(join(ROOT, "node_modules"), join(appDir, "node_modules"), RUNTIME_PACKAGES.worker);
  // The baker runs from the worker's folder, so the models get the names the worker looks for.
  const baker = join(appDir, "bake-models.mjs");
  await bundleModelBaker(baker);
  await run(process.execPath, [baker], { env: { ...process.env, ARIA_MODEL_CACHE: join(root, MODELS_DIR) } });
  await rm(baker);
}

async function buildImage(
  spec: ImageSpec,
  layers: { base: string; node: string; cuda?: string },
  ctx: { crane: string; registry: string; work: string; epoch: string; revision: string },
): Promise<string> {
  const root = join(ctx.work, imageFileName(spec));
  await stageApp(spec, root);
  // APP_DIR sits under /opt.
  const app = await packLayer(root, ["opt"], join(ctx.work, `${imageFileName(spec)}-app.tar`), ctx.epoch);
  // The CUDA libraries change less often than the app: below it, so a new version pushes only the app.
  const cuda = spec.variant === "cuda" && layers.cuda ? ["-f", layers.cuda] : [];
  const staged = `${ctx.registry}/${imageFileName(spec)}:build`;
  await run(ctx.crane, [
    "append",
    "--oci-empty-base",
    "-f",
    layers.base,
    "-f",
    layers.node,
    ...cuda,
    "-f",
    app,
    "-t",
    staged,
  ]);
  const out = imageTarball(spec);
  await run(ctx.crane, [
    "mutate",
    staged,
    `--user=${USER}`,
    `--entrypoint=${spec.entrypoint.join(",")}`,
    `--workdir=${spec.workdir}`,
    "--set-platform=linux/amd64",
    ...Object.entries(spec.env).map(([k, v]) => `--env=${k}=${v}`),
    ...Object.entries(imageLabels(spec, ctx.revision)).map(([k, v]) => `--label=${k}=${v}`),
    "-t",
    imageTag(spec),
    "-o",
    out,
  ]);
  return out;
}

/** Builds the images (the operator and the CPU worker unless told otherwise); returns their tarballs. */
export async function buildImages(specs: ImageSpec[] = Object.values(IMAGES)): Promise<string[]> {
  const started = performance.now();
  const [crane, rootfs, nodeTgz] = await Promise.all([ensureCrane(), ensureRootfs(), ensureNodeTarball()]);
  console.log(`base: ${rootfs.tarball} (${rootfs.cached ? "cached" : "built"})`);
  const cudaLayer = specs.some((spec) => spec.variant === "cuda") ? await ensureCudaLayer() : undefined;
  if (cudaLayer) console.log(`cuda: ${cudaLayer.tarball} (${cudaLayer.cached ? "cached" : "built"})`);
  const { stdout: revision } = await run("git", ["rev-parse", "HEAD"], { cwd: ROOT });
  const { stdout: epoch } = await run("git", ["log", "-1", "--format=%ct"], { cwd: ROOT });
  const work = await mkdtemp(join(tmpdir(), "aria-images-"));
  const registry = await startRegistry(crane);
  try {
    const nodeRoot = join(work, "node");
    const nodeBin = join(nodeRoot, NODE_BIN);
    await mkdir(dirname(nodeBin), { recursive: true });
    await run("tar", ["-xzf", nodeTgz, "-C", dirname(nodeBin), "--strip-components=2", "package/bin/node"]);
    const node = await packLayer(nodeRoot, ["usr"], join(work, "node.tar"), epoch.trim());
    await mkdir(IMAGES_DIR, { recursive: true });
    const ctx = { crane, registry: registry.host, work, epoch: epoch.trim(), revision: revision.trim() };
    const layers = { base: rootfs.tarball, node, cuda: cudaLayer?.tarball };
    const outs = [];
    for (const spec of specs) outs.push(await buildImage(spec, layers, ctx));
    for (const [i, spec] of specs.entries()) {
      const mib = ((await stat(outs[i]!)).size / 2 ** 20).toFixed(1);
      console.log(`${imageTag(spec)}: ${outs[i]} (${mib} MiB)`);
    }
    console.log(`built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return outs;
  } finally {
    registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `stage operator|worker DIR`: only the app's files, for images/Dockerfile; `stage cuda DIR`: the
  // CUDA worker's libraries, for its worker-cuda target.
  const [command, name, dir] = process.argv.slice(2);
  if (command === "stage" && (name === "operator" || name === "worker") && dir)
    await stageApp(IMAGES[name], dir);
  else if (command === "stage" && name === "cuda" && dir) await stageCudaLibraries(dir);
  else if (command === "--cuda") await buildImages([...Object.values(IMAGES), CUDA_WORKER]);
  else if (command) {
    console.error("usage: tsx images/build.ts [--cuda | stage operator|worker|cuda DIR]");
    process.exit(2);
  } else await buildImages();
}
