// Images in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, versitygw, …), for clusters whose
// workers run on several nodes without a ReadWriteMany volume: the same content-addressed layout as
// the directory store, `<prefix><sha[0:2]>/<sha>.<ext>`, with `s3://bucket/key` URIs. Credentials come
// from the SDK's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from a Secret, or a role).
import { createHash } from "node:crypto";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { ImageStore, StoredObject } from "./image-store.ts";
import type { CheckableStore, StoreHealth } from "./store-health.ts";
import { StorageError } from "./storage-error.ts";

export interface S3StoreOptions {
  /** s3://bucket or s3://bucket/prefix/ */
  uri: string;
  /** The server's address, e.g. https://minio.storage:9000; omitted: AWS S3 in `region`. */
  endpoint?: string;
  region?: string;
}

const EXTENSION = /^[a-z0-9]{1,8}$/;
const KEY = /^([0-9a-f]{2})\/([0-9a-f]{64})\.([a-z0-9]{1,8})$/;

const CONTENT_TYPES: Record<string, string> = {
  png: "image/png",
  webp: "image/webp",
  avif: "image/avif",
  jpeg: "image/jpeg",
  tiff: "image/tiff",
};

export class S3Store implements ImageStore, CheckableStore {
  /** s3://bucket/prefix, as health reports and logs name the store. */
  readonly root: string;
  readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly endpoint: string;

  constructor(o: S3StoreOptions) {
    const url = new URL(o.uri);
    if (url.protocol !== "s3:" || !url.hostname) {
      throw new Error(`an S3 image store is named s3://bucket or s3://bucket/prefix, got ${o.uri}`);
    }
    this.bucket = url.hostname;
    const path = url.pathname.replace(/^\/+|\/+$/g, "");
    this.prefix = path ? `${path}/` : "";
    this.root = `s3://${this.bucket}/${this.prefix}`;
    this.endpoint = o.endpoint ?? "AWS S3";
    this.client = new S3Client({
      region: o.region ?? process.env.AWS_REGION ?? "us-east-1",
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      // Path-style addressing: what MinIO, Ceph and versitygw serve without wildcard DNS.
      forcePathStyle: true,
      // Retries belong to the render's attempt (another worker may take it), not to one request.
      maxAttempts: 2,
    });
  }

  async put(bytes: Buffer, ext: string): Promise<StoredObject> {
    if (!EXTENSION.test(ext)) {
      throw new Error(
        `image extension must be 1–8 lower-case letters or digits (png, webp, avif, jpeg, tiff), got ${JSON.stringify(ext)}`,
      );
    }
    const digest = createHash("sha256").update(bytes);
    const sha256 = digest.copy().digest("hex");
    const key = `${this.prefix}${sha256.slice(0, 2)}/${sha256}.${ext}`;
    const stored = { uri: `s3://${this.bucket}/${key}`, sha256, bytes: bytes.length };
    try {
      if ((await this.sizeOf(key)) === bytes.length) return { ...stored, created: false };
      // An object appears whole or not at all; the checksum makes the server verify the bytes.
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentType: CONTENT_TYPES[ext] ?? "application/octet-stream",
          ChecksumSHA256: digest.digest("base64"),
        }),
      );
    } catch (error) {
      throw new StorageError("unwritable", `could not store ${key} in ${this.root}: ${describe(error)}`, {
        cause: error,
      });
    }
    return { ...stored, created: true };
  }

  async get(uri: string): Promise<Buffer> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(uri) }));
    return Buffer.from(await res.Body!.transformToByteArray());
  }

  async delete(uri: string): Promise<void> {
    // S3 answers a delete of a missing key with success, as a finalizer that runs twice needs.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(uri) }));
  }

  async exists(uri: string): Promise<boolean> {
    return (await this.sizeOf(this.keyOf(uri))) !== undefined;
  }

  /** For the worker's readiness: the bucket must exist and take these credentials. */
  async checkHealth(): Promise<StoreHealth> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return { ok: true };
    } catch (error) {
      const status = (error as S3ServiceException).$metadata?.httpStatusCode;
      const reason =
        status === 404
          ? `bucket "${this.bucket}" does not exist at ${this.endpoint}`
          : status === 403 || status === 401
            ? `${this.endpoint} rejected the credentials for bucket "${this.bucket}" (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`
            : `bucket "${this.bucket}" at ${this.endpoint} cannot be reached: ${describe(error)}`;
      return { ok: false, problem: "unwritable", reason };
    }
  }

  private async sizeOf(key: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength;
    } catch (error) {
      if ((error as S3ServiceException).$metadata?.httpStatusCode === 404) return undefined;
      throw error;
    }
  }

  /** Accepts only URIs this store issued, so a crafted URI cannot read or delete other objects. */
  private keyOf(uri: string): string {
    const prefix = `s3://${this.bucket}/${this.prefix}`;
    if (!uri.startsWith(prefix) || !KEY.test(uri.slice(prefix.length))) {
      throw new Error(`image URI ${uri} is not inside the store at ${this.root}`);
    }
    const rest = KEY.exec(uri.slice(prefix.length))!;
    if (rest[1] !== rest[2]!.slice(0, 2))
      throw new Error(`image URI ${uri} is not inside the store at ${this.root}`);
    return uri.slice(`s3://${this.bucket}/`.length);
  }
}

function describe(error: unknown): string {
  const e = error as S3ServiceException;
  return e.name && e.name !== "Error" ? `${e.name}: ${e.message}` : String(e.message ?? error);
}
