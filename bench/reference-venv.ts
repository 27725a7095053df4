// The Python reference venv for a benchmark that compares with it: a machine that cannot install
// it (no PyPI) still runs the benchmark, which says so and makes no comparison.
import { ensureReferenceVenv, type ReferenceVenv } from "../test/reference/python-venv.ts";

export async function referenceVenvOrExit(): Promise<ReferenceVenv> {
  try {
    return await ensureReferenceVenv();
  } catch (error) {
    console.log(
      `The reference could not be installed, so no comparison was made: ${(error as Error).message}`,
    );
    process.exit(0);
  }
}
