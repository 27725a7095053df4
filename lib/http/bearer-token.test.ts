import { describe, expect, it } from "vitest";
import { BEARER_PROTOCOL_PREFIX, bearerToken } from "./bearer-token.ts";

describe("bearerToken", () => {
  it("reads the Authorization header, whatever the case of its scheme", () => {
    expect(bearerToken({ authorization: "Bearer abc.def" })).toBe("abc.def");
    expect(bearerToken({ authorization: "bearer abc" })).toBe("abc");
  });

  it("reads a browser WebSocket's token subprotocol, as the API server does", () => {
    const protocol = BEARER_PROTOCOL_PREFIX + Buffer.from("tok-en.1").toString("base64url");
    expect(bearerToken({ "sec-websocket-protocol": `aria.stream.v1, ${protocol}` })).toBe("tok-en.1");
  });

  it("finds none in other schemes, empty values or other subprotocols", () => {
    expect(bearerToken({})).toBeUndefined();
    expect(bearerToken({ authorization: "Basic YWxpY2U6cHc=" })).toBeUndefined();
    expect(bearerToken({ authorization: "Bearer " })).toBeUndefined();
    expect(bearerToken({ "sec-websocket-protocol": "aria.stream.v1" })).toBeUndefined();
    expect(bearerToken({ "sec-websocket-protocol": BEARER_PROTOCOL_PREFIX })).toBeUndefined();
  });
});
