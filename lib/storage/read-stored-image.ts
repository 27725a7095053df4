// Reads an image by the URI its Artwork's status names, from outside the worker that stored it:
// a file:// URI from a directory this machine can see, an s3:// URI with the caller's own
// credentials (the AWS SDK's usual chain: environment, ~/.aws, SSO).
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { S3Store } from "./s3-store.ts";

export interface ReadOptions {
  /** The S3 server's address; omitted: AWS_ENDPOINT_URL, else AWS S3. */
  s3Endpoint?: string;
}

export async function readStoredImage(uri: string, o: ReadOptions = {}): Promise<Buffer> {
  if (uri.startsWith("file:")) return readFile(fileURLToPath(uri));
  if (uri.startsWith("s3://")) {
    // The store's root is what precedes the content-addressed <xx>/<sha256>.<ext> key.
    const root = uri.split("/").slice(0, -2).join("/");
    const endpoint = o.s3Endpoint ?? process.env.AWS_ENDPOINT_URL;
    return new S3Store({ uri: root, ...(endpoint ? { endpoint } : {}) }).get(uri);
  }
  throw new Error(`cannot read ${uri}: images are read from file:// or s3:// URIs`);
}
