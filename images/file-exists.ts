import { access } from "node:fs/promises";

/** Whether a cached build output is already there. */
export const fileExists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );
