import { describe, expect, it } from "vitest";
import type { ArtworkSpec } from "./artwork.ts";
import { effectiveSpec, type ModelDefaults } from "./effective-spec.ts";

const model: ModelDefaults = { width: 256, height: 256, steps: 20, guidanceScale: 5, scheduler: "euler" };
const bare: ArtworkSpec = { prompt: "a lighthouse at dusk", poolRef: { name: "studio" } };

describe("effectiveSpec", () => {
  it("fills what the user left out with the API's defaults", () => {
    const spec = effectiveSpec(bare);
    expect(spec).toMatchObject({
      mood: "neutral",
      variations: 4,
      curation: { weights: { clip: 0.5, aesthetic: 0.3, technical: 0.2 } },
      output: { formats: ["png"], upscale: 1 },
      timeoutSeconds: 900,
      maxAttempts: 3,
      retainPolicy: "Delete",
    });
    expect(spec.steps).toBeUndefined();
  });

  it("takes the user's values over learned ones, and learned ones over the model's", () => {
    expect(effectiveSpec({ ...bare, steps: 8 }, { steps: 30, guidanceScale: 9 }, model)).toMatchObject({
      steps: 8,
      guidanceScale: 9,
      scheduler: "euler",
      width: 256,
    });
    expect(effectiveSpec(bare, {}, model)).toMatchObject({ steps: 20, guidanceScale: 5 });
  });

  it("keeps a minimum score and the user's weights", () => {
    const weights = { clip: 1, aesthetic: 0, technical: 0 };
    expect(effectiveSpec({ ...bare, curation: { weights, minScore: 0.4 } }).curation).toEqual({
      weights,
      minScore: 0.4,
    });
  });
});
