// GPU memory for aria_gpu_memory_bytes, read from nvidia-smi (present wherever the NVIDIA driver
// is) at scrape time; onnxruntime-node exposes no memory query of its own.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Gauge, type Registry } from "prom-client";

const run = promisify(execFile);

export interface GpuMemory {
  index: string;
  usedBytes: number;
  totalBytes: number;
}

export async function readGpuMemory(): Promise<GpuMemory[]> {
  const { stdout } = await run("nvidia-smi", [
    "--query-gpu=index,memory.used,memory.total",
    "--format=csv,noheader,nounits",
  ]);
  return stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [index = "", used = "0", total = "0"] = line.split(",").map((s) => s.trim());
      return { index, usedBytes: Number(used) * 1024 * 1024, totalBytes: Number(total) * 1024 * 1024 };
    });
}

/** Registers the gauge only on a worker that runs on CUDA, so CPU pools export no empty family. */
export function registerGpuMemory(registry: Registry, pool: string) {
  new Gauge({
    name: "aria_gpu_memory_bytes",
    help: "GPU memory of this worker's node, used and total, per GPU.",
    labelNames: ["pool", "gpu", "kind"] as const,
    registers: [registry],
    async collect() {
      try {
        for (const g of await readGpuMemory()) {
          this.set({ pool, gpu: g.index, kind: "used" }, g.usedBytes);
          this.set({ pool, gpu: g.index, kind: "total" }, g.totalBytes);
        }
      } catch {
        // No driver tools in the image: the family stays empty rather than failing the scrape.
      }
    },
  });
}
