import { describe, expect, it } from "vitest";
import { publicBase } from "./public-origin.ts";

describe("publicBase", () => {
  it("is --public-url when set, without its trailing slash", () => {
    expect(publicBase({ host: "10.0.0.7:8443" }, "https://art.example.org/aria/")).toBe(
      "https://art.example.org/aria",
    );
  });

  it("follows a reverse proxy's X-Forwarded-Proto and X-Forwarded-Host, the first hop's", () => {
    expect(
      publicBase(
        {
          host: "aria-operator:8443",
          "x-forwarded-proto": "http, https",
          "x-forwarded-host": "art.example.org, lb",
        },
        undefined,
      ),
    ).toBe("http://art.example.org");
  });

  it("is https and the Host header without a proxy", () => {
    expect(publicBase({ host: "127.0.0.1:8443" }, undefined)).toBe("https://127.0.0.1:8443");
    expect(publicBase({ host: "[::1]:8443" }, undefined)).toBe("https://[::1]:8443");
  });

  it("ignores a forwarded scheme or host that is no scheme or host", () => {
    expect(
      publicBase(
        { host: "art.example.org", "x-forwarded-proto": "javascript", "x-forwarded-host": `evil"><script>` },
        undefined,
      ),
    ).toBe("https://art.example.org");
    expect(publicBase({ host: "a b" }, undefined)).toBe("https://localhost");
  });
});
