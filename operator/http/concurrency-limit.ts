// A few slots for work that holds CPU and memory for seconds (large exports): a request that finds
// them all taken is told to come back rather than queued, so a burst of downloads never piles up
// memory or starves the API's other callers.
export class ConcurrencyLimit {
  private running = 0;

  constructor(readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 1)
      throw new Error(`slots must be a positive integer, got ${slots}`);
  }

  /** A release function once a slot is held (call it exactly once), or undefined when all are taken. */
  tryAcquire(): (() => void) | undefined {
    if (this.running >= this.slots) return undefined;
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
    };
  }

  get inUse(): number {
    return this.running;
  }
}
