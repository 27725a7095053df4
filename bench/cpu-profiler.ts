// Loaded with `--import` into a process to profile (NODE_OPTIONS refuses --cpu-prof): records a V8
// CPU profile from start to exit and writes it to $ARIA_CPU_PROFILE, for Chrome DevTools or speedscope.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";

const path = process.env.ARIA_CPU_PROFILE;
if (path) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.start");
  // In-process inspector calls complete synchronously, so this still runs inside "exit".
  process.on("exit", () =>
    session.post("Profiler.stop", (error, result) => {
      if (!error) writeFileSync(path, JSON.stringify(result.profile));
    }),
  );
}
