import { createHash } from "node:crypto";
import { encode as encodeBlurhash } from "blurhash";
import type { Metadata, Sharp, SharpOptions } from "sharp";

/**
 * sharp (and its libvips, tens of MB of native memory) is loaded with the first image, not at
 * start: most processes (a worker, a quiet web process) never handle one.
 */
let sharpModule: Promise<typeof import("sharp")> | undefined;
const loadSharp = async () => {
  sharpModule ??= import("sharp");
  return (await sharpModule).default;
};

/** What people may send: decoders that sharp's prebuilt libvips has here, checked in tests. */
export type PhotoSourceFormat = "jpeg" | "png" | "webp" | "avif";

export interface EncodedImage {
  readonly bytes: Buffer;
  readonly mediaType: "image/webp";
  readonly width: number;
  readonly height: number;
}

export interface ProcessedPhoto {
  readonly main: EncodedImage;
  readonly thumbnail: EncodedImage;
  readonly blurhash: string;
  /** Hex SHA-256 of `main.bytes`. */
  readonly sha256: string;
  readonly sourceFormat: PhotoSourceFormat;
}

export interface PhotoOptions {
  /** Largest accepted upload, in bytes (default 10 MiB). */
  readonly maxBytes?: number;
  /** The longest side of the stored photo (default 1920 px); smaller photos are never enlarged. */
  readonly maxDimension?: number;
  /** The longest side of the thumbnail (default 400 px). */
  readonly thumbnailDimension?: number;
  /**
   * Largest accepted width × height (default 100 megapixels, above any phone camera's
   * full-size output): a few kilobytes of PNG can declare billions of pixels.
   */
  readonly maxInputPixels?: number;
}

export type PhotoRejection = "too_large" | "unsupported_type" | "unreadable";

const STATUS = { too_large: 413, unsupported_type: 415, unreadable: 422 } as const;

/** A photo a person must replace; `message` tells them with what. */
export class PhotoRejectedError extends Error {
  readonly reason: PhotoRejection;
  readonly status: 413 | 415 | 422;
  /** The same number under the name Fastify's error handler reads, so a route can just rethrow. */
  readonly statusCode: 413 | 415 | 422;

  constructor(reason: PhotoRejection, message: string) {
    super(message);
    this.name = "PhotoRejectedError";
    this.reason = reason;
    this.status = STATUS[reason];
    this.statusCode = this.status;
  }
}

export const isPhotoRejectedError = (error: unknown): error is PhotoRejectedError =>
  error instanceof PhotoRejectedError;

const MiB = 1024 * 1024;
const DEFAULTS = {
  maxBytes: 10 * MiB,
  maxDimension: 1920,
  thumbnailDimension: 400,
  maxInputPixels: 100_000_000,
};
// WebP: about 30 % smaller than JPEG at the same quality, keeps PNG transparency, and is
// read by every current browser and by Mastodon (≥ 3.x) for remote attachments.
const MAIN_QUALITY = 82;
const THUMBNAIL_QUALITY = 75;
// Blurhash is a placeholder: a 32 px source is plenty, and encoding cost grows with pixels.
const BLURHASH_SOURCE = 32;

/**
 * Checks, cleans and re-encodes an uploaded photo. The type comes from the bytes only
 * (never the file name or the client's MIME type); every piece of metadata — EXIF with its
 * GPS position, XMP, IPTC, ICC — is dropped, after the EXIF orientation has been applied and
 * the colours converted to sRGB. A souvenir photo must not reveal where someone lives.
 */
export async function processPhoto(
  input: Buffer,
  options: PhotoOptions = {},
): Promise<ProcessedPhoto> {
  const o = { ...DEFAULTS, ...options };
  const advice = `Send a JPEG, PNG, WebP or AVIF photo of at most ${formatMiB(o.maxBytes)}.`;
  if (input.length > o.maxBytes) {
    throw new PhotoRejectedError(
      "too_large",
      `This photo is too large (${formatMiB(input.length)}). ${advice}`,
    );
  }
  const sharp = await loadSharp();
  // "error" refuses truncated or corrupt pixel data but tolerates mere libjpeg warnings
  // (such as stray bytes between markers), which many cameras' files trigger.
  const sharpOptions: SharpOptions = { limitInputPixels: o.maxInputPixels, failOn: "error" };
  const metadata = await run(() => sharp(input, sharpOptions).metadata(), o, advice);
  const sourceFormat = acceptedFormat(metadata, advice);

  // Each output decodes the input again: JPEG shrink-on-load keeps the small ones cheap, and
  // sharp runs the three pipelines in parallel on libuv's thread pool.
  const oriented = () => sharp(input, sharpOptions).rotate().toColourspace("srgb");
  const [main, thumbnail, blurhash] = await run(
    () =>
      Promise.all([
        encodeWebp(oriented(), o.maxDimension, MAIN_QUALITY),
        encodeWebp(oriented(), o.thumbnailDimension, THUMBNAIL_QUALITY),
        blurhashOf(oriented()),
      ]),
    o,
    advice,
  );
  const sha256 = createHash("sha256").update(main.bytes).digest("hex");
  return { main, thumbnail, blurhash, sha256, sourceFormat };
}

function acceptedFormat(metadata: Metadata, advice: string): PhotoSourceFormat {
  switch (metadata.format) {
    case "jpeg":
    case "png":
    case "webp":
      return metadata.format;
    case "heif":
      if (metadata.compression === "av1") return "avif";
      // sharp's prebuilt libvips reads HEIC headers but ships no HEVC decoder (patents).
      throw new PhotoRejectedError(
        "unsupported_type",
        `HEIC photos cannot be read here: share it as JPEG (on an iPhone: Settings › Camera › Formats › Most Compatible). ${advice}`,
      );
    default:
      throw new PhotoRejectedError(
        "unsupported_type",
        `This file is not a photo in a format we accept. ${advice}`,
      );
  }
}

async function encodeWebp(
  pipeline: Sharp,
  dimension: number,
  quality: number,
): Promise<EncodedImage> {
  // No keepMetadata()/withMetadata(): sharp then writes no EXIF, XMP, IPTC or ICC at all.
  const { data, info } = await pipeline
    .resize({ width: dimension, height: dimension, fit: "inside", withoutEnlargement: true })
    .webp({ quality })
    .toBuffer({ resolveWithObject: true });
  return { bytes: data, mediaType: "image/webp", width: info.width, height: info.height };
}

async function blurhashOf(pipeline: Sharp): Promise<string> {
  const { data, info } = await pipeline
    .resize({ width: BLURHASH_SOURCE, height: BLURHASH_SOURCE, fit: "inside" })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  // 4×3 components follow a landscape photo's shape; a portrait one gets 3×4.
  const [x, y] = info.width >= info.height ? [4, 3] : [3, 4];
  return encodeBlurhash(pixels, info.width, info.height, x, y);
}

/** Runs a sharp step and turns libvips' errors into what the person should do. */
async function run<T>(step: () => Promise<T>, o: typeof DEFAULTS, advice: string): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof PhotoRejectedError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(message)) {
      throw new PhotoRejectedError(
        "too_large",
        `This photo has too many pixels (at most ${Math.round(o.maxInputPixels / 1e6)} megapixels). ${advice}`,
      );
    }
    if (/unsupported image format/i.test(message)) {
      throw new PhotoRejectedError(
        "unsupported_type",
        `This file is not a photo in a format we accept. ${advice}`,
      );
    }
    throw new PhotoRejectedError(
      "unreadable",
      `This photo could not be read: the file looks damaged or incomplete (export it again). ${advice}`,
    );
  }
}

function formatMiB(bytes: number): string {
  const mib = bytes / MiB;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** The shapes of a profile's images, as Mastodon crops them: a square avatar and a 3:1 header. */
export const PROFILE_IMAGE_SIZES = {
  avatar: { width: 400, height: 400 },
  header: { width: 1500, height: 500 },
} as const;

export type ProfileImageKind = keyof typeof PROFILE_IMAGE_SIZES;

const PROFILE_QUALITY = 85;

/**
 * An avatar or a header image through the photo pipeline: the type read from the bytes, the
 * same size and pixel limits, EXIF orientation applied, every piece of metadata dropped, then
 * cropped around its centre to the exact shape (`PROFILE_IMAGE_SIZES`) as WebP.
 */
export async function processProfileImage(
  input: Buffer,
  kind: ProfileImageKind,
  options: PhotoOptions = {},
): Promise<EncodedImage & { readonly sourceFormat: PhotoSourceFormat }> {
  const o = { ...DEFAULTS, ...options };
  const advice = `Send a JPEG, PNG, WebP or AVIF image of at most ${formatMiB(o.maxBytes)}.`;
  if (input.length > o.maxBytes) {
    throw new PhotoRejectedError(
      "too_large",
      `This image is too large (${formatMiB(input.length)}). ${advice}`,
    );
  }
  const sharp = await loadSharp();
  const sharpOptions: SharpOptions = { limitInputPixels: o.maxInputPixels, failOn: "error" };
  const metadata = await run(() => sharp(input, sharpOptions).metadata(), o, advice);
  const sourceFormat = acceptedFormat(metadata, advice);
  const { width, height } = PROFILE_IMAGE_SIZES[kind];
  const { data, info } = await run(
    () =>
      sharp(input, sharpOptions)
        .rotate()
        .toColourspace("srgb")
        .resize({ width, height, fit: "cover", position: "centre" })
        .webp({ quality: PROFILE_QUALITY })
        .toBuffer({ resolveWithObject: true }),
    o,
    advice,
  );
  return {
    bytes: data,
    mediaType: "image/webp",
    width: info.width,
    height: info.height,
    sourceFormat,
  };
}
