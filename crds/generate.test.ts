import { describe, expect, it } from "vitest";
import { staleCrdFiles } from "./generate.ts";

describe("crds/*.yaml", () => {
  it("matches the TypeScript definitions, in crds/ and in the chart (run npm run generate after changing them)", async () => {
    expect(await staleCrdFiles()).toEqual([]);
  });
});
