// The image store a process is configured with: an s3:// URI names a bucket (and prefix) on an
// S3-compatible server, anything else is a directory (a shared volume).
import { DirectoryStore } from "./directory-store.ts";
import type { ImageStore } from "./image-store.ts";
import { S3Store } from "./s3-store.ts";
import type { CheckableStore } from "./store-health.ts";

export interface ImageStoreConfig {
  /** A directory, or s3://bucket[/prefix]. */
  location: string;
  /** The S3 server's address (MinIO, Ceph, versitygw, …); omitted: AWS S3. */
  s3Endpoint?: string;
  /** A directory store is not ready with less free space than this. */
  minFreeBytes?: number;
}

export function openImageStore(c: ImageStoreConfig): ImageStore & CheckableStore {
  if (c.location.startsWith("s3://")) {
    return new S3Store({ uri: c.location, ...(c.s3Endpoint ? { endpoint: c.s3Endpoint } : {}) });
  }
  return new DirectoryStore(c.location, c.minFreeBytes === undefined ? {} : { minFreeBytes: c.minFreeBytes });
}
