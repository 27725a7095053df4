import { describe, expect, it } from "vitest";
import { parseConfig } from "../config.ts";
import { unreachableSubject } from "./push-setup.ts";

describe("VAPID subject", () => {
  it("is checked at start: a mailto: or https: URL, else the flag is named", () => {
    const config = (subject?: string) =>
      parseConfig(subject === undefined ? [] : ["--vapid-subject", subject], {}, "host");
    expect(config()).toMatchObject({ vapidSubject: "mailto:aria@localhost", vapidKeyFile: undefined });
    expect(config("https://art.example.org/contact")).toMatchObject({
      vapidSubject: "https://art.example.org/contact",
    });
    for (const bad of ["aria@example.org", "http://art.example.org", ""])
      expect(() => config(bad)).toThrow(`--vapid-subject must be a mailto: or https: URL, got "${bad}"`);
    expect(parseConfig([], { ARIA_VAPID_KEY_FILE: "/etc/aria/vapid/tls.key" }, "h")).toMatchObject({
      vapidKeyFile: "/etc/aria/vapid/tls.key",
    });
  });

  it("is called unreachable where Apple's push service refuses it", () => {
    for (const s of [
      "mailto:aria@localhost",
      "https://localhost:8443",
      "mailto:me@gallery.local",
      "mailto:x@y",
    ])
      expect(unreachableSubject(s), s).toBe(true);
    for (const s of ["mailto:art@example.org", "https://gallery.example.org/about"])
      expect(unreachableSubject(s), s).toBe(false);
  });
});
