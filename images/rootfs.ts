// The images' base layer: a minimal Debian root filesystem made by mmdebstrap (no registry is
// needed), cached by a hash of everything that goes into it, so a warm image build skips it.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ariaCacheDir } from "../tools/go-tool.ts";
import { fileExists } from "./file-exists.ts";
import { BASE_PACKAGES, DEBIAN_SUITE, USER } from "./image-spec.ts";

const run = promisify(execFile);

/** The host's apt sources: the Debian mirror this machine reaches (and CI's). */
export const APT_SOURCES = "/etc/apt/sources.list.d/debian.sources";

const [UID, GID] = USER.split(":");

/**
 * Run inside the unpacked tree ($1) before it is packed: the CA bundle update-ca-certificates
 * would write (the extract variant runs no maintainer scripts), the non-root account, a /tmp, and
 * nothing a running process never opens (docs, apt and dpkg state).
 */
const HOOKS = [
  'cat "$1"/usr/share/ca-certificates/mozilla/*.crt > "$1"/etc/ssl/certs/ca-certificates.crt',
  `printf 'root:x:0:0:root:/root:/sbin/nologin\\nnonroot:x:${UID}:${GID}:nonroot:/home/nonroot:/sbin/nologin\\n' > "$1"/etc/passwd`,
  `printf 'root:x:0:\\nnonroot:x:${GID}:\\n' > "$1"/etc/group`,
  `mkdir -p "$1"/home/nonroot "$1"/tmp && chown ${USER} "$1"/home/nonroot && chmod 1777 "$1"/tmp`,
  'rm -rf "$1"/usr/share/doc "$1"/usr/share/man "$1"/usr/share/info "$1"/usr/share/locale "$1"/usr/share/lintian "$1"/usr/share/ca-certificates "$1"/var/lib/apt "$1"/var/lib/dpkg "$1"/var/cache/* "$1"/var/log/* "$1"/etc/apt',
];

/** Fixed mtimes, so equal inputs give an equal tarball. */
const SOURCE_DATE_EPOCH = "0";

/** mmdebstrap's arguments after the options: suite, output, mirror. */
function mmdebstrapArgs(output: string): string[] {
  return [
    // extract: unpack the packages and their dependencies, no shell or package manager.
    "--variant=extract",
    `--include=${BASE_PACKAGES.join(",")}`,
    "--skip=output/dev",
    ...HOOKS.map((hook) => `--customize-hook=${hook}`),
    DEBIAN_SUITE,
    output,
    APT_SOURCES,
  ];
}

/** The cached base layer tarball, made with mmdebstrap the first time its inputs are seen. */
export async function ensureRootfs(): Promise<{ tarball: string; cached: boolean }> {
  const { stdout: mmdebstrapVersion } = await run("mmdebstrap", ["--version"]);
  const hash = createHash("sha256")
    .update(mmdebstrapVersion)
    .update(await readFile(APT_SOURCES))
    .update(JSON.stringify(mmdebstrapArgs("")))
    .digest("hex")
    .slice(0, 16);
  const dir = join(ariaCacheDir(), "rootfs");
  const tarball = join(dir, `debian-${DEBIAN_SUITE}-${hash}.tar`);
  if (await fileExists(tarball)) return { tarball, cached: true };
  await mkdir(dir, { recursive: true });
  const partial = `${tarball}.partial-${process.pid}.tar`;
  try {
    await run("mmdebstrap", ["--quiet", ...mmdebstrapArgs(partial)], {
      env: { ...process.env, SOURCE_DATE_EPOCH },
      maxBuffer: 2 ** 26,
    });
    await rename(partial, tarball);
  } finally {
    await rm(partial, { force: true });
  }
  return { tarball, cached: false };
}
