import type { S3Client } from "@aws-sdk/client-s3";
import { checkedMediaKey, contentTypeOfKey, type MediaStorage } from "./media-storage.ts";

/** Where the media live on an S3-compatible store (AWS S3, MinIO, Garage, R2, Scaleway, …). */
export interface S3Settings {
  readonly bucket: string;
  /** The store's URL (`https://s3.fr-par.scw.cloud`); AWS's own when unset. */
  readonly endpoint?: string;
  readonly region: string;
  /** Both or neither: without them the SDK's own chain (AWS_* variables, instance role). */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (MinIO, Garage). */
  readonly forcePathStyle: boolean;
  /**
   * Where browsers read the bucket (a public bucket, or a CDN before it), without a trailing
   * slash: `/media/<key>` then answers a redirect to `<publicUrl>/<key>`.
   */
  readonly publicUrl?: string;
}

/** The store did not answer, or refused us (credentials, bucket): nothing the client did. */
export class MediaStoreUnavailableError extends Error {
  constructor(action: string, key: string, cause: unknown) {
    super(`The media store failed to ${action} ${key}: ${(cause as Error).message}`, { cause });
    this.name = "MediaStoreUnavailableError";
  }
}

export const isMediaStoreUnavailable = (error: unknown): error is MediaStoreUnavailableError =>
  error instanceof MediaStoreUnavailableError;

/** An S3 store that can also tell whether it holds a key (for `media migrate`). */
export interface S3MediaStorage extends MediaStorage {
  /** The size of the object under the key, or `undefined` when there is none. */
  sizeOf(key: string): Promise<number | undefined>;
}

const IMMUTABLE = "public, max-age=31536000, immutable";

type S3Sdk = typeof import("@aws-sdk/client-s3");

/**
 * The `MediaStorage` contract over S3: the same keys, each stored with its content type and
 * long-lived cache headers (a key is a fresh UUID, never reused). The AWS SDK (several MB of
 * heap) is loaded on the first use of the store, so a server that keeps its media on disk, or
 * has not touched one yet, never loads it.
 */
export function createS3MediaStorage(settings: S3Settings): S3MediaStorage {
  let connection: Promise<{ sdk: S3Sdk; client: S3Client }> | undefined;
  const connected = () => {
    connection ??= import("@aws-sdk/client-s3").then((sdk) => ({
      sdk,
      client: newS3Client(sdk, settings),
    }));
    return connection;
  };
  const Bucket = settings.bucket;
  const failed = (action: string, key: string) => (error: unknown) => {
    throw new MediaStoreUnavailableError(action, key, error);
  };

  return {
    async put(key, bytes, contentType) {
      const expected = contentTypeOfKey(checkedMediaKey(key));
      if (contentType !== expected) {
        throw new TypeError(`Media key ${key} is served as ${expected}, not ${contentType}.`);
      }
      const { sdk, client } = await connected();
      await client
        .send(
          new sdk.PutObjectCommand({
            Bucket,
            Key: key,
            Body: bytes,
            ContentType: contentType,
            ContentLength: bytes.length,
            CacheControl: IMMUTABLE,
          }),
        )
        .catch(failed("store", key));
    },

    async get(key) {
      checkedMediaKey(key);
      const { sdk, client } = await connected();
      try {
        const object = await client.send(new sdk.GetObjectCommand({ Bucket, Key: key }));
        const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
        return { bytes, contentType: contentTypeOfKey(key) as string };
      } catch (error) {
        if (isNotFound(sdk, error)) return undefined;
        return failed("read", key)(error);
      }
    },

    async delete(key) {
      checkedMediaKey(key);
      const { sdk, client } = await connected();
      // S3 answers a deletion of a missing key with success, as the contract wants.
      await client
        .send(new sdk.DeleteObjectCommand({ Bucket, Key: key }))
        .catch(failed("delete", key));
    },

    async sizeOf(key) {
      checkedMediaKey(key);
      const { sdk, client } = await connected();
      try {
        const head = await client.send(new sdk.HeadObjectCommand({ Bucket, Key: key }));
        return head.ContentLength ?? 0;
      } catch (error) {
        if (isNotFound(sdk, error)) return undefined;
        return failed("look up", key)(error);
      }
    },
  };
}

function newS3Client(sdk: S3Sdk, settings: S3Settings): S3Client {
  return new sdk.S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.accessKeyId && settings.secretAccessKey
      ? {
          credentials: {
            accessKeyId: settings.accessKeyId,
            secretAccessKey: settings.secretAccessKey,
          },
        }
      : {}),
    // A store that does not answer must not hold a request for minutes.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
    maxAttempts: 2,
  });
}

function isNotFound(sdk: S3Sdk, error: unknown): boolean {
  if (!(error instanceof sdk.S3ServiceException)) return false;
  // A missing bucket is a misconfiguration, not a missing photo.
  if (error.name === "NoSuchBucket") return false;
  return error.name === "NoSuchKey" || error.$metadata.httpStatusCode === 404;
}
