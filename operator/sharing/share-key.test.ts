import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { loadShareKey } from "./share-key.ts";

function logger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino(sink), lines };
}

async function file(content: string) {
  const path = join(await mkdtemp(join(tmpdir(), "aria-share-key-")), "key");
  await writeFile(path, content);
  return path;
}

describe("loadShareKey", () => {
  it("reads the mounted key, without the newline a shell or kubectl may have added", async () => {
    const key = "k".repeat(40);
    const { log } = logger();
    expect((await loadShareKey(await file(`${key}\n`), log)).toString()).toBe(key);
    expect((await loadShareKey(await file(key), log)).toString()).toBe(key);
  });

  it("refuses a key too short to sign with, naming the flag and the length it needs", async () => {
    const path = await file("short\n");
    await expect(loadShareKey(path, logger().log)).rejects.toThrow(
      `--share-key-file ${path} holds 5 bytes; a share key needs at least 32`,
    );
  });

  it("makes a random key without a file, warning that links will not outlive the process", async () => {
    const { log, lines } = logger();
    const a = await loadShareKey(undefined, log);
    const b = await loadShareKey(undefined, log);
    expect(a.length).toBe(32);
    expect(a.equals(b)).toBe(false);
    expect(lines[0]?.level).toBe(40);
    expect(lines[0]?.msg).toContain(
      "links stop working when the operator restarts and differ between replicas",
    );
  });
});
