// Type declarations for the untyped PNG text chunk package (CommonJS, default export).
declare module "png-chunk-text" {
  const text: {
    encode(keyword: string, content: string): { name: "tEXt"; data: Uint8Array };
    decode(data: Uint8Array): { keyword: string; text: string };
  };
  export default text;
}
