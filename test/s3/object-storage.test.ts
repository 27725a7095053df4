// Images in object storage, as a cluster whose workers run on several nodes keeps them: the worker
// and the operator against a real S3 server on loopback (versitygw, checking signatures), images
// written by content hash, deleted with their Artwork, and a pool whose bucket is missing or whose
// credentials are wrong kept out of scheduling with the reason.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_POOL } from "../../crds/api.ts";
import type { ModelPool } from "../../crds/model-pool.ts";
import {
  aria,
  createArtwork,
  createPool,
  deleteArtwork,
  eventually,
  getArtwork,
  isReady,
  QUICK,
  waitForGone,
} from "../support/artworks.ts";
import { createNamespace } from "../support/cluster.ts";
import { kubectlAria } from "../support/kubectl-aria.ts";
import { startOperator, startWorker, stopAll } from "../support/processes.ts";
import { waitForWorkerReady, waitForWorkerReport } from "../support/waits.ts";
import { startS3Server, type S3Server } from "../support/versitygw.ts";

let ns: string;
let s3: S3Server;
let client: S3Client;
const BUCKET = "aria-images";

const credentials = (secret = s3.secretAccessKey) => ({
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: secret,
  AWS_REGION: "us-east-1",
});
const storeArgs = (uri: string) => ["--storage-dir", uri, "--s3-endpoint", s3.endpoint];

beforeAll(async () => {
  s3 = await startS3Server();
  client = new S3Client({
    endpoint: s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  ns = await createNamespace("s3");
  startOperator(ns, { args: storeArgs(`s3://${BUCKET}/gallery`), env: credentials() });
}, 600_000);
afterAll(async () => {
  await stopAll();
  client?.destroy();
  await s3?.stop();
});

const keyOf = (uri: string) => uri.slice(`s3://${BUCKET}/`.length);

describe("an S3 image store", () => {
  it("holds every candidate's image under its sha256, kubectl aria saves one from there, and the operator deletes them with the Artwork", async () => {
    await createPool(ns, "studio", { replicas: 1 });
    await waitForWorkerReady(
      startWorker(ns, "studio", "w1", storeArgs(`s3://${BUCKET}/gallery`), credentials()),
    );
    await createArtwork(ns, "bucketed", { ...QUICK, variations: 2, poolRef: { name: "studio" } });
    const art = await eventually(() => getArtwork(ns, "bucketed"), isReady, 60_000);
    const images = [...(art.status?.candidates ?? []), ...(art.status?.selected?.images ?? [])];
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) {
      expect(image.uri).toMatch(new RegExp(`^s3://${BUCKET}/gallery/[0-9a-f]{2}/${image.sha256}\\.png$`));
      const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: keyOf(image.uri) }));
      expect(object.ContentType).toBe("image/png");
      const bytes = Buffer.from(await object.Body!.transformToByteArray());
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(image.sha256);
    }
    // What a person does from their laptop, with their own credentials for the bucket.
    const dir = await mkdtemp(join(tmpdir(), "aria-save-"));
    try {
      const saved = await kubectlAria(
        ["-n", ns, "save", "bucketed", "-o", "saved.png", "--s3-endpoint", s3.endpoint],
        credentials(),
        dir,
      );
      expect(saved.code, saved.stderr).toBe(0);
      const bytes = await readFile(join(dir, "saved.png"));
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(art.status!.selected!.images[0]!.sha256);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await deleteArtwork(ns, "bucketed");
    await waitForGone(ns, "bucketed");
    for (const image of images) {
      const gone = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keyOf(image.uri) })).then(
        () => false,
        (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode === 404,
      );
      expect(gone, image.uri).toBe(true);
    }
  });

  it.each([
    ["a missing bucket", `s3://no-such-bucket`, undefined, `bucket "no-such-bucket" does not exist at`],
    ["wrong credentials", `s3://${BUCKET}`, "not-the-secret", "rejected the credentials for bucket"],
  ])(
    "keeps a worker with %s out of scheduling, and says why on the pool",
    async (_what, uri, secret, reason) => {
      const pool = `broken-${secret ? "creds" : "bucket"}`;
      await createPool(ns, pool, { replicas: 1 });
      const worker = startWorker(ns, pool, `${pool}-1`, storeArgs(uri), credentials(secret));
      const report = await waitForWorkerReport(worker, (r) => r.reason === "StorageUnwritable");
      expect(report.ready).toBe(false);
      expect(report.message).toContain(reason);
      const status = await eventually(
        () => aria().get<ModelPool>(MODEL_POOL, ns, pool),
        (p) => (p.status?.conditions ?? []).some((c) => c.message?.includes(reason)),
        30_000,
      );
      expect(status.status?.readyReplicas).toBe(0);
    },
  );
});
