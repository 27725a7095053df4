/** Whether an image store can take images now, for the worker's readiness. */
export interface StoreHealth {
  ok: boolean;
  /** What is wrong when not ok: nothing can be written, or too little space is left. */
  problem?: "unwritable" | "full";
  reason?: string;
  /** Free space, where the store has a bound (a volume; a bucket has none). */
  freeBytes?: number;
}

/** An image store that can say whether it is usable, and names itself (a directory or s3://bucket/prefix). */
export interface CheckableStore {
  readonly root: string;
  checkHealth(): Promise<StoreHealth>;
}
