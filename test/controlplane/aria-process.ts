// Aria's operator and workers as local processes (no kubelet runs locally), with their JSON log
// lines captured for failure messages; used by the integration tests, the demo and the benchmarks.
// Tests wait on what a kubelet or the operator would see (probes, Leases, status, Events,
// metrics), never on the text of a log line.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";

export interface Proc {
  child: ChildProcess;
  /** The process's log so far, one JSON line each: for failure messages only. */
  output: () => string;
  /** False once the process has exited or was killed. */
  running: () => boolean;
  /**
   * The port its plain HTTP server (probes, metrics) listens on (started with `--port 0`), taken
   * from the `port` field of the first log line that carries one. Rejects if the process exits
   * first or after `timeoutMs`.
   */
  port: (timeoutMs?: number) => Promise<number>;
  /** The same for its HTTPS port (`--secure-port 0`): the feedback API or the preview streams. */
  securePort: (timeoutMs?: number) => Promise<number>;
  /** SHA-256 fingerprint of the certificate its HTTPS port serves, as it logged it. */
  certificateSha256: (timeoutMs?: number) => Promise<string>;
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
  // The first value each of these fields took in a log line.
  const logged = new Map<string, unknown>();
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    raw += chunk.toString();
    const parts = raw.split("\n");
    raw = parts.pop() ?? "";
    for (const line of parts) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        parsed = { msg: line };
      }
      lines.push(parsed);
      for (const field of ["port", "securePort", "certificateSha256"])
        if (!logged.has(field) && parsed[field] !== undefined) logged.set(field, parsed[field]);
    }
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      resolve();
      for (const w of waiters.splice(0)) w();
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  const loggedField = <T>(field: string, timeoutMs = 60_000) =>
    new Promise<T>((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new Error(`no ${field} logged within ${timeoutMs} ms:\n${proc.output().slice(-4000)}`)),
        timeoutMs,
      );
      const check = () => {
        if (logged.has(field)) {
          clearTimeout(deadline);
          resolve(logged.get(field) as T);
        } else if (!running()) {
          clearTimeout(deadline);
          reject(
            new Error(
              `process exited (${child.exitCode ?? child.signalCode}) before it logged ${field}:\n${proc.output().slice(-4000)}`,
            ),
          );
        } else waiters.push(check);
      };
      check();
    });
  const proc: Proc = {
    child,
    output: () => lines.map((l) => JSON.stringify(l)).join("\n"),
    running,
    port: (timeoutMs) => loggedField<number>("port", timeoutMs),
    securePort: (timeoutMs) => loggedField<number>("securePort", timeoutMs),
    certificateSha256: (timeoutMs) => loggedField<string>("certificateSha256", timeoutMs),
    kill: async (signal = "SIGTERM") => {
      if (running()) child.kill(signal);
      await exited;
    },
  };
  return proc;
}
