// A failure of the image store itself (full, read-only, gone), as opposed to a bad request: the
// store's host is at fault, so the work may succeed on another one.

export type StorageProblem = "full" | "unwritable";

export class StorageError extends Error {
  override readonly name = "StorageError";

  constructor(
    readonly problem: StorageProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Wraps a file-system error: out of space or quota is "full", anything else "unwritable". */
  static from(error: unknown, what: string): StorageError {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === "ENOSPC" || code === "EDQUOT" ? "full" : "unwritable";
    return new StorageError(problem, `${what}: ${(error as Error).message}`, { cause: error });
  }
}
