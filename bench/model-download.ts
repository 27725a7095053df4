// A model download as a worker makes it: a 2 GiB file from a loopback HTTP server, streamed to disk
// and checked against its sha256, once straight through and once dropped halfway and resumed. The
// download runs in a process of its own, so its peak RSS is the downloader's alone (target: the file
// never whole in memory). Run: npx tsx bench/model-download.ts [--gib 2]
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { downloadFile } from "../worker/download/resumable-download.ts";
import { machineFacts, numberFlag, printTable } from "./report.ts";

const GIB = numberFlag("gib", 2);
const BLOCK = randomBytes(2 ** 20);
const BLOCKS = Math.round(GIB * 1024);

const childIndex = process.argv.indexOf("--child");
if (childIndex >= 0) {
  const { url, dest, sha256 } = JSON.parse(process.argv[childIndex + 1]!) as Record<string, string>;
  const start = performance.now();
  await downloadFile(url!, dest!, sha256!, {
    stallMs: 30_000,
    attempts: 3,
    backoff: { initialMs: 100, maxMs: 200 },
  });
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ seconds, peakRss: process.resourceUsage().maxRSS * 1024 }));
  process.exit(0);
}

machineFacts({ Download: `${BLOCKS} MiB from a loopback HTTP server, streamed to a temp directory` });

// The file is one random MiB repeated: served and hashed without holding it whole here either.
const hash = createHash("sha256");
for (let i = 0; i < BLOCKS; i++) hash.update(BLOCK);
const sha256 = hash.digest("hex");
let dropNext = false;
const server = createServer((req, res) => {
  const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? "")?.[1] ?? 0);
  const total = BLOCKS * BLOCK.length;
  res.writeHead(from > 0 ? 206 : 200, {
    "content-length": String(total - from),
    ...(from > 0 ? { "content-range": `bytes ${from}-${total - 1}/${total}` } : {}),
  });
  const drop = dropNext;
  dropNext = false;
  let offset = from;
  const pump = () => {
    while (offset < total) {
      if (drop && offset >= total / 2) return void res.destroy();
      const within = offset % BLOCK.length;
      const chunk = BLOCK.subarray(within);
      offset += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.onnx`;
const work = await mkdtemp(join(tmpdir(), "aria-download-bench-"));

async function run(label: string, drop: boolean) {
  dropNext = drop;
  const dest = join(work, `${label}.onnx`);
  // Spawned asynchronously: the server in this process must keep serving while the child downloads.
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--child", JSON.stringify({ url, dest, sha256 })],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`${label}: the download process exited ${code}`);
  await rm(dest, { force: true });
  return JSON.parse(out.trim().split("\n").at(-1)!) as { seconds: number; peakRss: number };
}

const straight = await run("straight", false);
const resumed = await run("resumed", true);
server.close();
await rm(work, { recursive: true, force: true });

const MiB = 2 ** 20;
const rate = (r: { seconds: number }) => (BLOCKS * BLOCK.length) / MiB / r.seconds;
printTable(`${GIB} GiB download, sha256 checked`, [
  { figure: "throughput, straight through (incl. hashing)", samples: [rate(straight)], unit: "MiB/s" },
  { figure: "throughput, dropped at half and resumed", samples: [rate(resumed)], unit: "MiB/s" },
  {
    figure: "downloader peak RSS",
    samples: [straight.peakRss / MiB, resumed.peakRss / MiB],
    unit: "MiB",
    digits: 0,
    target: { op: "≤", value: 256 },
  },
]);
