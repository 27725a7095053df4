import { describe, expect, it } from "vitest";
import type { Artwork } from "../../crds/artwork.ts";
import { notificationPayload } from "./notification-payload.ts";

const artwork = (status: Artwork["status"], prompt = "a lighthouse at dusk"): Artwork =>
  ({
    metadata: { name: "dusk", namespace: "art" },
    spec: { prompt, poolRef: { name: "studio" } },
    status,
  }) as Artwork;

describe("notificationPayload", () => {
  it("says a finished Artwork is ready, with its prompt, its route in the gallery and a thumbnail", () => {
    const art = artwork({
      phase: "Succeeded",
      candidates: [{ index: 0, seed: 1, uri: "file:///images/ab.png", sha256: "ab" }],
      selected: { index: 0, score: 0.8, images: [] },
    } as unknown as Artwork["status"]);
    const payload = notificationPayload(art);
    expect(payload).toMatchObject({
      title: "dusk is ready",
      body: "a lighthouse at dusk",
      url: "/#/art/dusk",
      artwork: { namespace: "art", name: "dusk" },
      phase: "Succeeded",
      tag: "aria-art-dusk",
    });
    expect(payload.image).toMatch(/^\/api\/namespaces\/art\/artworks\/dusk\/images\/0\?w=\d+&v=/);
  });

  it("says why one failed, without an image", () => {
    const payload = notificationPayload(artwork({ phase: "Failed", message: "did not finish within 2s" }));
    expect(payload).toMatchObject({
      title: "dusk failed",
      body: "did not finish within 2s",
      phase: "Failed",
    });
    expect(payload).not.toHaveProperty("image");
  });

  it("stays small whatever the prompt: a push message holds about 4 KB", () => {
    const long = `${"a very long prompt ".repeat(200)}`;
    const payload = notificationPayload(artwork({ phase: "Succeeded" }, long));
    expect(payload.body.length).toBeLessThanOrEqual(160);
    expect(payload.body.endsWith("…")).toBe(true);
    expect(JSON.stringify(payload).length).toBeLessThan(1024);
  });
});
