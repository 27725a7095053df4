// Restarts a process whenever it exits, as a Deployment's kubelet restarts a container (with a
// doubling back-off, like CrashLoopBackOff), and counts the restarts, so a fault test can run the
// operator and workers the way a cluster would and assert on how often each came back.
import type { Proc } from "../controlplane/aria-process.ts";

export interface Supervised<P extends Proc> {
  /** The process running now (or the last one, while a restart waits out its back-off). */
  current(): P;
  /** How many times a process exited and was started again. */
  restarts(): number;
  /** The log of every process so far, for failure messages. */
  output(): string;
  /** Stops restarting and kills the process. */
  stop(): Promise<void>;
}

export function supervise<P extends Proc>(
  start: () => P,
  backoff: { initialMs: number; maxMs: number } = { initialMs: 1_000, maxMs: 10_000 },
): Supervised<P> {
  let proc = start();
  let restarts = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const earlier: string[] = [];
  const watch = (p: P) =>
    p.child.once("exit", (code, signal) => {
      if (stopped) return;
      earlier.push(`${p.output()}\n--- exited (${code ?? signal}); restarting ---`);
      const delay = Math.min(backoff.initialMs * 2 ** restarts, backoff.maxMs);
      timer = setTimeout(() => {
        if (stopped) return;
        restarts++;
        proc = start();
        watch(proc);
      }, delay);
    });
  watch(proc);
  return {
    current: () => proc,
    restarts: () => restarts,
    output: () => [...earlier, proc.output()].join("\n"),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await proc.kill("SIGKILL");
    },
  };
}
