/** ONNX run() counts and time, per session label ("aria-painter/unet"), for the pipeline-overhead figures. */
export interface RunTotals {
  runs: number;
  runSeconds: number;
  perSession: Record<string, { runs: number; seconds: number }>;
}

export class RunMeter {
  private totals: RunTotals = { runs: 0, runSeconds: 0, perSession: {} };

  record(label: string, seconds: number): void {
    this.totals.runs++;
    this.totals.runSeconds += seconds;
    const entry = (this.totals.perSession[label] ??= { runs: 0, seconds: 0 });
    entry.runs++;
    entry.seconds += seconds;
  }

  /** Returns what was recorded since the last reset and starts counting afresh. */
  reset(): RunTotals {
    const totals = this.totals;
    this.totals = { runs: 0, runSeconds: 0, perSession: {} };
    return totals;
  }
}
