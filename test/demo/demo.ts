// npm run demo: a local control plane, the operator, two workers and the sample Artworks, with
// a progress bar per Artwork; then it keeps running for kubectl until Ctrl-C (or --exit).
import { execFile } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import cliProgress from "cli-progress";
import { KubeConfig } from "@kubernetes/client-node";
import { ARTWORK } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { CustomObjectClient } from "../../lib/kube/custom-object-client.ts";
import { spawnAria, type Proc } from "../controlplane/aria-process.ts";
import { startControlPlane, stopControlPlane } from "../controlplane/control-plane.ts";
import { waitForWorkerReady, workerProc, type WorkerProc } from "../support/waits.ts";

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const dir = resolve(root, ".aria/demo");
const images = resolve(dir, "images");
const exitWhenDone = process.argv.includes("--exit");

await rm(dir, { recursive: true, force: true });
await mkdir(images, { recursive: true });
const cp = await startControlPlane({ dataDir: resolve(dir, "cluster") });
const kc = new KubeConfig();
kc.loadFromFile(cp.kubeconfig);
const procs: Proc[] = [];
const stop = async () => {
  await Promise.all(procs.map((p) => p.kill("SIGTERM")));
  await stopControlPlane(cp, false);
};
process.once("SIGINT", () => void stop().then(() => process.exit(0)));

console.log("aria: starting the operator and two workers (the first start builds the built-in models)");
// The HTTPS ports (feedback API, previews) serve the local control plane's loopback certificate,
// so clients trust them through its CA.
const local = [
  "--port",
  "0",
  "--secure-port",
  "0",
  "--tls-cert-file",
  join(cp.dataDir, "pki", "serving.crt"),
  "--tls-private-key-file",
  join(cp.dataDir, "pki", "serving.key"),
  "--bind-address",
  "127.0.0.1",
  "--storage-dir",
  images,
];
const operator = spawnAria("operator/main.ts", local, cp.kubeconfig, { LOG_LEVEL: "info" });
procs.push(operator);
const kubectl = (...args: string[]) =>
  run(cp.kubectl, args, { env: { ...process.env, KUBECONFIG: cp.kubeconfig } });
await kubectl(
  "apply",
  "-f",
  resolve(root, "samples/01-modelpool.yaml"),
  "-f",
  resolve(root, "samples/02-learningstate.yaml"),
);
const workers: WorkerProc[] = ["worker-1", "worker-2"].map((id) =>
  workerProc(
    spawnAria("worker/main.ts", ["--pool", "studio", "--id", id, ...local], cp.kubeconfig, {
      LOG_LEVEL: "info",
    }),
    kc,
    { namespace: "default", pool: "studio", id },
  ),
);
procs.push(...workers);
await Promise.all(workers.map((w) => waitForWorkerReady(w, 300_000)));
const applied = await kubectl("apply", "-f", resolve(root, "samples/"));
console.log(applied.stdout.trim());

const client = new CustomObjectClient(kc);
const names = ["sunrise", "nocturne"];
const bars = new cliProgress.MultiBar(
  { format: " {name} |{bar}| {percentage}% {phase}", hideCursor: true, clearOnComplete: false },
  cliProgress.Presets.shades_classic,
);
const bar = new Map(names.map((n) => [n, bars.create(100, 0, { name: n.padEnd(9), phase: "Pending" })]));
let done: Artwork[] = [];
while (done.length < names.length) {
  done = [];
  for (const name of names) {
    const art = await client.get<Artwork>(ARTWORK, "default", name).catch(() => undefined);
    const phase = art?.status?.phase ?? "Pending";
    bar.get(name)?.update(phase === "Succeeded" ? 100 : (art?.status?.progress?.percent ?? 0), {
      name: name.padEnd(9),
      phase,
    });
    if (art && (phase === "Succeeded" || phase === "Failed")) done.push(art);
  }
  await new Promise((r) => setTimeout(r, 250));
}
bars.stop();

for (const art of done) {
  const s = art.status;
  console.log(`\n${art.metadata.name}: ${s?.phase} — "${art.spec.prompt}"`);
  console.log(`  model ${s?.model} (${s?.modelReason}), seed ${s?.seed}, score ${s?.selected?.score ?? "-"}`);
  for (const image of s?.selected?.images ?? [])
    console.log(`  ${image.format}: ${fileURLToPath(image.uri)}`);
}
console.log(`
The demo cluster keeps running. In another terminal:
  export KUBECONFIG=${cp.kubeconfig}
  export PATH=${cp.binDir}:$PATH
  kubectl get art,mp,ls
  kubectl annotate artwork sunrise aria.dev/feedback=love
or react through the feedback API (HTTPS, a Kubernetes bearer token):
  curl --cacert ${cp.caCert} -H "Authorization: Bearer ${cp.tokens.admin}" \\
    -d '{"artwork":"nocturne","action":"like"}' -H 'Content-Type: application/json' \\
    https://127.0.0.1:${await operator.securePort()}/api/feedback
Ctrl-C stops it.`);
if (exitWhenDone) {
  await stop();
  process.exit(0);
}
