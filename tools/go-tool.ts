// Tools built from the Go module proxy (helm, crane, versitygw, ...): `go install`ed once into a
// versioned folder of the cache outside git, so a fresh clone builds them and later runs reuse them.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, mkdir, readFile, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface GoTool {
  /** The executable's name, also the cache folder's prefix. */
  name: string;
  /** The main package's import path, e.g. github.com/google/go-containerregistry/cmd/crane. */
  pkg: string;
  version: string;
  /** Extra -ldflags (version stamps), after "-s -w". */
  ldflags?: string;
}

/** The folder that holds Aria's cached builds ($ARIA_CACHE_DIR, else ~/.cache/aria). */
export function ariaCacheDir(): string {
  return process.env.ARIA_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "aria");
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** The cached executable, built with `go install` the first time (minutes for large tools). */
export async function ensureGoTool(tool: GoTool): Promise<string> {
  const bin = join(ariaCacheDir(), "bin", `${tool.name}-${tool.version}`);
  const exe = join(bin, tool.name);
  if (await exists(exe)) return exe;
  console.log(`aria: building ${tool.name} ${tool.version} from the Go module proxy (once)`);
  // A private folder per build, renamed into place, so two processes building at once never see
  // a half-written executable.
  const work = join(bin, `.build-${process.pid}`);
  await mkdir(work, { recursive: true });
  try {
    await run(
      "go",
      [
        "install",
        "-trimpath",
        "-ldflags",
        `-s -w ${tool.ldflags ?? ""}`.trim(),
        `${tool.pkg}@${tool.version}`,
      ],
      { env: { ...process.env, GOBIN: work, CGO_ENABLED: "0" }, maxBuffer: 2 ** 26 },
    );
    await rename(join(work, tool.name), exe);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return exe;
}

/**
 * A Go program of this repository (its own go.mod in `dir`), built with `go build` once per
 * version of its source: the executable is named by a hash of go.mod, go.sum and main.go.
 */
export async function ensureGoProgram(name: string, dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const file of ["go.mod", "go.sum", "main.go"]) hash.update(await readFile(join(dir, file)));
  const exe = join(ariaCacheDir(), "bin", `${name}-${hash.digest("hex").slice(0, 12)}`);
  if (await exists(exe)) return exe;
  console.log(`aria: building ${name} from ${dir} (once)`);
  await mkdir(join(ariaCacheDir(), "bin"), { recursive: true });
  // Built beside its final name and renamed, so a concurrent build never leaves half a file.
  const partial = `${exe}.${process.pid}`;
  await run("go", ["build", "-trimpath", "-o", partial, "."], {
    cwd: dir,
    env: { ...process.env, CGO_ENABLED: "0" },
    maxBuffer: 16 * 1024 * 1024,
  });
  await rename(partial, exe);
  return exe;
}
