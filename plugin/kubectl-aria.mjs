#!/usr/bin/env node
// The kubectl plugin's executable: runs the TypeScript entry through tsx, as the repository's
// other processes run (npm install -g . links this file onto the PATH as kubectl-aria).
import { register } from "tsx/esm/api";

register();
await import("./kubectl-aria.ts");
