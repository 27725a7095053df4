// aria-operator: `npm run operator -- --help` lists the flags.
import { hostname } from "node:os";
import type { Level } from "pino";
import { loadKubeConfig } from "../lib/kube/pooled-kube-config.ts";
import { parseConfig, usage } from "./config.ts";
import { Operator } from "./operator.ts";
import { createLogger } from "../lib/observability/logger.ts";

let config;
try {
  config = parseConfig(process.argv.slice(2), process.env, hostname());
} catch (err) {
  console.error(`aria-operator: ${(err as Error).message}\n\n${usage("aria-operator")}`);
  process.exit(2);
}
if (config === "help") {
  console.log(usage("aria-operator"));
  process.exit(0);
}

const log = createLogger("aria-operator", config.logLevel as Level);
const kc = loadKubeConfig();
let operator: Operator;
try {
  operator = new Operator(kc, config, log);
} catch (err) {
  // A file a flag names that cannot be used (the VAPID key): one log line saying which, not a stack.
  log.fatal({ err: (err as Error).message }, "could not start the operator");
  process.exit(2);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    log.info({ signal }, "received signal; stopping");
    void operator.stop().then(() => process.exit(0));
  });
}

await operator.start();
