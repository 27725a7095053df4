import { SCHEDULERS, type SchedulerName } from "../../crds/artwork.ts";
import { DdimScheduler } from "./ddim-scheduler.ts";
import { EulerAncestralScheduler } from "./euler-ancestral-scheduler.ts";
import { EulerScheduler } from "./euler-scheduler.ts";
import { LcmScheduler } from "./lcm-scheduler.ts";
import type { SchedulerConfig } from "./noise-schedule.ts";
import type { Scheduler } from "./scheduler.ts";

/** Builds the sampler an Artwork's `spec.scheduler` names from the model's `scheduler_config.json`. */
export function createScheduler(name: string, config: SchedulerConfig): Scheduler {
  switch (name as SchedulerName) {
    case "euler":
      return new EulerScheduler(config);
    case "euler-ancestral":
      return new EulerAncestralScheduler(config);
    case "ddim":
      return new DdimScheduler(config);
    case "lcm":
      return new LcmScheduler(config);
    default:
      throw new Error(`spec.scheduler must be one of ${SCHEDULERS.join(", ")}, got ${JSON.stringify(name)}`);
  }
}
