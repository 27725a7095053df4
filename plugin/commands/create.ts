import { randomBytes } from "node:crypto";
import cliProgress from "cli-progress";
import { API_VERSION, ARTWORK, MODEL_POOL } from "../../crds/api.ts";
import type { Artwork, ArtworkSpec } from "../../crds/artwork.ts";
import type { ModelPool } from "../../crds/model-pool.ts";
import { explain, type AriaClient } from "../aria-client.ts";
import { describeResult, waitForResult } from "./wait.ts";

export interface CreateOptions {
  mood?: string;
  pool?: string;
  name?: string;
  model?: string;
  negative?: string;
  variations?: number;
  steps?: number;
  seed?: number;
  size?: string;
  wait?: boolean;
  timeout: number;
}

/** `kubectl aria create "a prompt"`: an Artwork on the namespace's pool, optionally watched to the end. */
export async function create(client: AriaClient, prompt: string, o: CreateOptions): Promise<void> {
  const pool = o.pool ?? (await onlyPool(client));
  const spec: ArtworkSpec = {
    prompt,
    poolRef: { name: pool },
    ...(o.mood ? { mood: o.mood as ArtworkSpec["mood"] } : {}),
    ...(o.model ? { model: o.model } : {}),
    ...(o.negative ? { negativePrompt: o.negative } : {}),
    ...(o.variations !== undefined ? { variations: o.variations } : {}),
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.size ? parseSize(o.size) : {}),
  };
  const name = o.name ?? `art-${randomBytes(3).toString("hex")}`;
  const body: Artwork = { apiVersion: API_VERSION, kind: ARTWORK.kind, metadata: { name }, spec };
  const created = await client.objects
    .create<Artwork>(ARTWORK, client.namespace, body)
    .catch((error: unknown) => {
      throw explain(error, `artwork "${name}"`);
    });
  console.log(`artwork.aria.dev/${created.metadata.name} created`);
  if (!o.wait) return;
  const progress = progressDisplay(name);
  try {
    const done = await waitForResult(client, name, o.timeout * 1000, (art) =>
      progress.update(
        art.status?.phase === "Succeeded" ? 100 : (art.status?.progress?.percent ?? 0),
        art.status?.phase ?? "Pending",
      ),
    );
    progress.stop();
    console.log(describeResult(done));
    if (done.status?.phase !== "Succeeded") process.exitCode = 1;
  } finally {
    progress.stop();
  }
}

/** A bar on a terminal; elsewhere (CI logs, pipes) a line each time the phase or percent changes. */
function progressDisplay(name: string) {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${name} {bar} {percentage}% | {phase}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(100, 0, { phase: "Pending" });
    return {
      update: (percent: number, phase: string) => bar.update(percent, { phase }),
      stop: () => bar.stop(),
    };
  }
  let last = "";
  return {
    update: (percent: number, phase: string) => {
      const line = `${name}: ${phase} ${percent}%`;
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    },
    stop: () => {},
  };
}

async function onlyPool(client: AriaClient): Promise<string> {
  const pools = await client.list<ModelPool>(MODEL_POOL);
  if (pools.length === 1) return pools[0]!.metadata.name!;
  const names = pools.map((p) => p.metadata.name).join(", ");
  throw new Error(
    pools.length === 0
      ? `there is no ModelPool in namespace "${client.namespace}"; apply one first (samples/01-modelpool.yaml)`
      : `namespace "${client.namespace}" has several ModelPools (${names}); choose one with --pool`,
  );
}

function parseSize(size: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (!match) throw new Error(`--size must be WIDTHxHEIGHT, such as 512x512; got ${JSON.stringify(size)}`);
  return { width: Number(match[1]), height: Number(match[2]) };
}
