// Aria's operator and workers as local processes (no kubelet runs locally), with their JSON log
// lines captured; used by the integration tests and the demo.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";

export interface Proc {
  child: ChildProcess;
  /** Every JSON log line so far. */
  lines: Array<Record<string, unknown>>;
  output: () => string;
  /** Resolves with the first log line matching `msg` (and fields), or rejects after `timeoutMs`. */
  waitForLog: (msg: string | RegExp, timeoutMs?: number) => Promise<Record<string, unknown>>;
  port: () => Promise<number>;
  kill: (signal?: NodeJS.Signals) => Promise<void>;
}

export function spawnAria(
  script: string,
  args: string[],
  kubeconfig: string,
  env: Record<string, string> = {},
): Proc {
  // TypeScript sources run through tsx; a built bundle (.mjs) runs on plain Node.
  const entry = script.endsWith(".ts") ? ["--import", "tsx", script] : ["--enable-source-maps", script];
  const child = spawn(process.execPath, [...entry, ...args], {
    env: { ...process.env, KUBECONFIG: kubeconfig, LOG_LEVEL: "debug", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Array<Record<string, unknown>> = [];
  let raw = "";
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    raw += chunk.toString();
    const parts = raw.split("\n");
    raw = parts.pop() ?? "";
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const match = (line: Record<string, unknown>, msg: string | RegExp) =>
    typeof line.msg === "string" && (typeof msg === "string" ? line.msg === msg : msg.test(line.msg));
  const proc: Proc = {
    child,
    lines,
    output: () => lines.map((l) => JSON.stringify(l)).join("\n"),
    waitForLog: (msg, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const deadline = setTimeout(
          () =>
            reject(
              new Error(
                `no log line "${String(msg)}" within ${timeoutMs} ms:\n${proc.output().slice(-4000)}`,
              ),
            ),
          timeoutMs,
        );
        const check = () => {
          const found = lines.find((l) => match(l, msg));
          if (found) {
            clearTimeout(deadline);
            resolve(found);
          } else if (child.exitCode !== null) {
            clearTimeout(deadline);
            reject(
              new Error(
                `process exited (${child.exitCode}) before "${String(msg)}":\n${proc.output().slice(-4000)}`,
              ),
            );
          } else waiters.push(check);
        };
        check();
      }),
    port: async () => Number((await proc.waitForLog("http server listened")).port),
    kill: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  return proc;
}
