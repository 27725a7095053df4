import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  isApiUnavailable,
  isConflict,
  isGone,
  isInvalid,
  isNotFound,
  retryOnConflict,
  retryTransient,
  statusCode,
  statusMessage,
} from "./kube-errors.ts";

const apiError = (code: number) => new ApiException(code, `HTTP-Code: ${code}`, "{}", {});

describe("kube-errors", () => {
  it("reads the status from ApiException, Watch errors and watch ERROR events", () => {
    expect(statusCode(apiError(404))).toBe(404);
    expect(isNotFound(apiError(404))).toBe(true);
    expect(isConflict(apiError(409))).toBe(true);
    expect(isGone(Object.assign(new Error("Gone"), { statusCode: 410 }))).toBe(true);
    expect(isGone({ kind: "Status", code: 410, reason: "Expired" })).toBe(true);
    expect(statusCode({ body: '{"kind":"Status","code":422}' })).toBe(422);
    expect(statusCode(new Error("socket hang up"))).toBeUndefined();
    expect(isConflict(undefined)).toBe(false);
  });

  it("reads the API server's message for a rejected object, falling back to the error's own", () => {
    const body = JSON.stringify({
      kind: "Status",
      code: 422,
      message: 'Service "x" is invalid: metadata.name',
    });
    const invalid = new ApiException(422, "HTTP-Code: 422", body, {});
    expect(isInvalid(invalid)).toBe(true);
    expect(statusMessage(invalid)).toBe('Service "x" is invalid: metadata.name');
    expect(statusMessage(new Error("socket hang up"))).toBe("socket hang up");
    expect(isInvalid(apiError(409))).toBe(false);
  });

  it("tells an API server that cannot answer now from a refusal and from a bug", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), {
      type: "system",
      code: "ECONNREFUSED",
    });
    expect(isApiUnavailable(refused)).toBe(true);
    expect(isApiUnavailable(new ApiException(503, "unavailable", "", {}))).toBe(true);
    expect(isApiUnavailable(new ApiException(429, "throttled", "", {}))).toBe(true);
    expect(isApiUnavailable(Object.assign(new Error("aborted"), { name: "AbortError" }))).toBe(true);
    expect(isApiUnavailable(new ApiException(403, "forbidden", "", {}))).toBe(false);
    expect(isApiUnavailable(new TypeError("x is undefined"))).toBe(false);
  });

  it("retries a write that conflicts, then returns its result", async () => {
    let calls = 0;
    const result = await retryOnConflict(async () => {
      if (++calls < 3) throw apiError(409);
      return "written";
    });
    expect(result).toBe("written");
    expect(calls).toBe(3);
  });

  it("gives up after the given attempts and rethrows other errors at once", async () => {
    let calls = 0;
    await expect(
      retryOnConflict(async () => {
        calls++;
        throw apiError(409);
      }, 3),
    ).rejects.toMatchObject({ code: 409 });
    expect(calls).toBe(3);

    calls = 0;
    await expect(
      retryOnConflict(async () => {
        calls++;
        throw apiError(403);
      }),
    ).rejects.toMatchObject({ code: 403 });
    expect(calls).toBe(1);
  });

  it("retries a dropped connection and a 503, but not a rejected write", async () => {
    const failures = [
      Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" }),
      apiError(503),
    ];
    let calls = 0;
    const result = await retryTransient(async () => {
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
      return "written";
    });
    expect(result).toBe("written");
    expect(calls).toBe(3);

    calls = 0;
    await expect(
      retryTransient(async () => {
        calls++;
        throw apiError(422);
      }),
    ).rejects.toMatchObject({ code: 422 });
    expect(calls).toBe(1);
  });

  it("outlasts an outage of any length with capped waits, until its signal says the write no longer matters", async () => {
    let calls = 0;
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const waits: number[] = [];
    const result = await retryTransient(
      async () => {
        if (++calls < 30) throw refused;
        return "written";
      },
      { backoff: { initialMs: 1, maxMs: 4 }, onRetry: (_err, _failures, delayMs) => waits.push(delayMs) },
    );
    expect(result).toBe("written");
    expect(calls).toBe(30);
    expect(Math.max(...waits)).toBeLessThanOrEqual(4);

    const abort = new AbortController();
    calls = 0;
    const stopped = retryTransient(
      async () => {
        if (++calls === 3) abort.abort();
        throw refused;
      },
      { backoff: { initialMs: 1, maxMs: 4 }, signal: abort.signal },
    );
    await expect(stopped).rejects.toBe(refused);
    expect(calls).toBe(3);
  });
});
