import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A layer tarball of `dir`'s top-level entries with fixed owners and mtimes and sorted names, so
 * equal files give an equal layer digest. The entries' parents (/, /usr) are not in it: the base's stay.
 */
export async function packLayer(dir: string, entries: string[], out: string, epoch: string): Promise<string> {
  await run("tar", [
    "--sort=name",
    `--mtime=@${epoch}`,
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--format=posix",
    "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
    "-C",
    dir,
    "-cf",
    out,
    ...entries,
  ]);
  return out;
}
