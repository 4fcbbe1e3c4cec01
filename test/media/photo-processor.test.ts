import { createHash } from "node:crypto";
import { decode, isBlurhashValid } from "blurhash";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { PhotoRejectedError, processPhoto } from "../../src/media/photo-processor.ts";
import { HEIC_64x48, HOME, jpegOrientedSix, jpegWithGps, noise, pngBomb, solid } from "./images.ts";

const MiB = 1024 * 1024;

async function rejection(promise: Promise<unknown>): Promise<PhotoRejectedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PhotoRejectedError);
  return error as PhotoRejectedError;
}

describe("processPhoto: what is kept", () => {
  it("strips EXIF, GPS, XMP and ICC from a camera JPEG and converts it to sRGB WebP", async () => {
    const input = await jpegWithGps();
    const before = await sharp(input).metadata();
    // The fixture really carries what must go: a GPS directory, XMP and a P3 profile.
    expect(before.exif).toBeDefined();
    expect(before.xmp).toBeDefined();
    expect(before.hasProfile).toBe(true);
    expect(input.includes(`${HOME}-GPS`)).toBe(true);

    const photo = await processPhoto(input);
    for (const image of [photo.main, photo.thumbnail]) {
      const after = await sharp(image.bytes).metadata();
      expect(after.format).toBe("webp");
      expect(after.exif).toBeUndefined();
      expect(after.xmp).toBeUndefined();
      expect(after.iptc).toBeUndefined();
      expect(after.icc).toBeUndefined();
      expect(after.hasProfile).toBe(false);
      expect(image.bytes.includes(HOME)).toBe(false);
      expect(image.bytes.includes("TestCam")).toBe(false);
      expect(image.mediaType).toBe("image/webp");
    }
    expect(photo.sourceFormat).toBe("jpeg");
    expect(photo.sha256).toBe(createHash("sha256").update(photo.main.bytes).digest("hex"));
  });

  it("accepts PNG (keeping transparency), WebP and AVIF, told apart by their bytes", async () => {
    const transparent = sharp({
      create: { width: 120, height: 80, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 0.5 } },
    });
    const png = await processPhoto(await transparent.png().toBuffer());
    expect(png.sourceFormat).toBe("png");
    expect((await sharp(png.main.bytes).metadata()).hasAlpha).toBe(true);

    const webp = await processPhoto(await solid(120, 80).webp().toBuffer());
    expect(webp.sourceFormat).toBe("webp");

    // sharp's prebuilt libvips decodes AV1 (AVIF) but not HEVC (HEIC): see the 415 test.
    const avif = await processPhoto(await solid(120, 80).avif().toBuffer());
    expect(avif.sourceFormat).toBe("avif");
    expect([avif.main.width, avif.main.height]).toEqual([120, 80]);
  });

  it("applies the EXIF orientation before dropping it", async () => {
    const photo = await processPhoto(await jpegOrientedSix());
    expect([photo.main.width, photo.main.height]).toEqual([300, 400]);
    expect((await sharp(photo.main.bytes).metadata()).orientation).toBeUndefined();
    const { data, info } = await sharp(photo.main.bytes)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
    ];
    const [topR, , topB] = pixel(150, 50);
    const [bottomR, , bottomB] = pixel(150, 350);
    expect(topR).toBeGreaterThan(200); // the red left half is now on top
    expect(topB).toBeLessThan(60);
    expect(bottomB).toBeGreaterThan(200);
    expect(bottomR).toBeLessThan(60);
  });

  it("fits a 4000×3000 photo within 1920 px and its thumbnail within 400 px", async () => {
    const photo = await processPhoto(await solid(4000, 3000).jpeg().toBuffer());
    expect([photo.main.width, photo.main.height]).toEqual([1920, 1440]);
    expect([photo.thumbnail.width, photo.thumbnail.height]).toEqual([400, 300]);
    const stored = await sharp(photo.main.bytes).metadata();
    expect([stored.width, stored.height]).toEqual([1920, 1440]);
  });

  it("never enlarges a small photo, and honours other dimensions", async () => {
    const small = await processPhoto(await solid(320, 200).png().toBuffer());
    expect([small.main.width, small.main.height]).toEqual([320, 200]);
    expect([small.thumbnail.width, small.thumbnail.height]).toEqual([320, 200]);

    const portrait = await processPhoto(await solid(600, 900).jpeg().toBuffer(), {
      maxDimension: 300,
      thumbnailDimension: 60,
    });
    expect([portrait.main.width, portrait.main.height]).toEqual([200, 300]);
    expect([portrait.thumbnail.width, portrait.thumbnail.height]).toEqual([40, 60]);
  });

  it("keeps a tiny photo's thumbnail at the photo's own size, as the stored file says", async () => {
    const tiny = await processPhoto(await solid(6, 4).png().toBuffer());
    for (const image of [tiny.main, tiny.thumbnail]) {
      expect([image.width, image.height]).toEqual([6, 4]);
      const decoded = await sharp(image.bytes).metadata();
      expect([decoded.width, decoded.height]).toEqual([6, 4]);
    }
  });

  it("computes a blurhash that decodes", async () => {
    const photo = await processPhoto(await noise(300, 200).jpeg().toBuffer());
    expect(isBlurhashValid(photo.blurhash)).toEqual({ result: true });
    // 4×3 components: 1 + 1 + 4 + 2 × (4 × 3 − 1) = 28 characters.
    expect(photo.blurhash).toHaveLength(28);
    expect(decode(photo.blurhash, 32, 32)).toHaveLength(32 * 32 * 4);
  });
});

describe("processPhoto: what is refused", () => {
  it("refuses a text file, an SVG and a GIF with 415", async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    const gif = await solid(10, 10).gif().toBuffer();
    for (const input of [Buffer.from("Ceci n'est pas une photo.\n"), svg, gif]) {
      const error = await rejection(processPhoto(input));
      expect(error.status).toBe(415);
      expect(error.statusCode).toBe(415);
      expect(error.message).toContain("Send a JPEG, PNG, WebP or AVIF photo of at most 10 MiB.");
    }
  });

  it("refuses HEIC with 415 and says how to send a JPEG instead", async () => {
    expect((await sharp(HEIC_64x48).metadata()).compression).toBe("hevc");
    const error = await rejection(processPhoto(HEIC_64x48));
    expect(error.status).toBe(415);
    expect(error.message).toMatch(/HEIC.*JPEG/);
  });

  it("refuses a truncated JPEG with 422", async () => {
    const whole = await noise(800, 600).jpeg().toBuffer();
    const error = await rejection(processPhoto(whole.subarray(0, whole.length / 2)));
    expect(error.status).toBe(422);
    expect(error.reason).toBe("unreadable");
    expect(error.message).toContain("damaged or incomplete");
  });

  it("refuses 11 MiB with 413 before decoding anything", async () => {
    const header = await solid(10, 10).jpeg().toBuffer();
    const error = await rejection(processPhoto(Buffer.concat([header, Buffer.alloc(11 * MiB)])));
    expect(error.status).toBe(413);
    expect(error.message).toBe(
      "This photo is too large (11.0 MiB). Send a JPEG, PNG, WebP or AVIF photo of at most 10 MiB.",
    );
    const small = await rejection(processPhoto(header, { maxBytes: 100 }));
    expect(small.status).toBe(413);
  });

  it("refuses a decompression bomb (small file, huge pixel count) with 413, quickly", async () => {
    const bomb = pngBomb(20_000); // 400 megapixels
    expect(bomb.length).toBeLessThan(100_000);
    const started = performance.now();
    const error = await rejection(processPhoto(bomb));
    expect(error.status).toBe(413);
    expect(error.message).toContain("too many pixels");
    expect(performance.now() - started).toBeLessThan(1000);

    const limited = await rejection(
      processPhoto(await solid(200, 200).png().toBuffer(), { maxInputPixels: 10_000 }),
    );
    expect(limited.status).toBe(413);
  });
});
