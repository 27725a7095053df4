/** What a put stored: where, its content hash, and its size. */
export interface StoredObject {
  uri: string;
  /** Lower-case hex sha256 of the bytes; the key under which they are stored. */
  sha256: string;
  bytes: number;
  /**
   * True when this put wrote the file; false when the same bytes were already stored (content
   * addressing: another Artwork may refer to them, so only a put that created a file may undo it).
   */
  created: boolean;
}

/**
 * Where generated images live. Content-addressed: putting the same bytes twice returns the same
 * URI and stores them once, so a retried attempt never leaves duplicates behind.
 */
export interface ImageStore {
  /** `ext` is the file extension without a dot (png, webp, avif, jpeg, tiff). Fails with StorageError when the store cannot take it. */
  put(bytes: Buffer, ext: string): Promise<StoredObject>;
  get(uri: string): Promise<Buffer>;
  /** Deleting something already gone succeeds: finalizers may run twice. */
  delete(uri: string): Promise<void>;
  exists(uri: string): Promise<boolean>;
}
