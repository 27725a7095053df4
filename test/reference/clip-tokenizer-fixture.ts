// Regenerates lib/tokenizer/clip-tokenizer.fixture.json: the ids transformers' CLIPTokenizer gives
// for a few hundred varied prompts, for SD 1.5 and SD 2 style tokenizer folders, in the reference venv.
// Run: npx tsx test/reference/clip-tokenizer-fixture.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureReferenceVenv, runPython } from "./python-venv.ts";
import { writeSdTokenizer } from "./sd-tokenizers.ts";

const out = fileURLToPath(new URL("../../lib/tokenizer/clip-tokenizer.fixture.json", import.meta.url));
const venv = await ensureReferenceVenv("requirements-tokenizer.txt");
const work = await mkdtemp(join(tmpdir(), "aria-tokenizer-fixture-"));
try {
  await writeSdTokenizer(join(work, "sd15"), "sd15");
  await writeSdTokenizer(join(work, "sd2"), "sd2");
  await runPython(venv, [
    fileURLToPath(new URL("clip_tokenizer_ids.py", import.meta.url)),
    ...["--sd15", join(work, "sd15"), "--sd2", join(work, "sd2"), "--out", out],
  ]);
  console.log(`wrote ${out}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
