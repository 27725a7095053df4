// Type declarations for the untyped PNG chunk packages (CommonJS, default export).
declare module "png-chunks-extract" {
  function extractChunks(data: Uint8Array): Array<{ name: string; data: Uint8Array }>;
  export default extractChunks;
}

declare module "png-chunks-encode" {
  function encodeChunks(chunks: ReadonlyArray<{ name: string; data: Uint8Array }>): Uint8Array;
  export default encodeChunks;
}

declare module "png-chunk-text" {
  const text: {
    encode(keyword: string, content: string): { name: "tEXt"; data: Uint8Array };
    decode(data: Uint8Array): { keyword: string; text: string };
  };
  export default text;
}
