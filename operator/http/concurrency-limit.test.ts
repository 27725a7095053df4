import { describe, expect, it } from "vitest";
import { ConcurrencyLimit } from "./concurrency-limit.ts";

describe("ConcurrencyLimit", () => {
  it("hands out its slots, refuses beyond them, and gives a released slot to the next caller", () => {
    const limit = new ConcurrencyLimit(2);
    const first = limit.tryAcquire();
    const second = limit.tryAcquire();
    expect(first).toBeTypeOf("function");
    expect(second).toBeTypeOf("function");
    expect(limit.tryAcquire()).toBeUndefined();
    first!();
    expect(limit.inUse).toBe(1);
    expect(limit.tryAcquire()).toBeTypeOf("function");
    expect(limit.tryAcquire()).toBeUndefined();
  });

  it("frees a slot once however often its release is called", () => {
    const limit = new ConcurrencyLimit(1);
    const release = limit.tryAcquire()!;
    release();
    release();
    expect(limit.inUse).toBe(0);
    limit.tryAcquire();
    expect(limit.tryAcquire()).toBeUndefined();
  });

  it("refuses a size that would hold no slot", () => {
    expect(() => new ConcurrencyLimit(0)).toThrow("slots must be a positive integer, got 0");
  });
});
