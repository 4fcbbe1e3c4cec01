import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEgress } from "../../src/egress/egress.ts";
import { createDiskMediaStorage } from "../../src/media/media-storage.ts";
import { createRemoteMedia } from "../../src/media/remote-media.ts";
import { startHost, type TestHost } from "../support/hosts.ts";
import { HOME, jpegWithGps, solid } from "./images.ts";

const urls = { mediaUrl: (key: string) => new URL(`/media/${key}`, "https://social.example") };

describe("remote photos, fetched once and made ours", () => {
  let root: string;
  let host: TestHost;
  let photo: Buffer;
  const egress = createEgress({ allowPrivateAddress: true, responseTimeoutMs: 5_000 });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "socialdapres-remote-media-"));
    photo = await jpegWithGps();
    const big = await solid(3000, 2000).png().toBuffer();
    host = await startHost("127.0.0.1", (request, response) => {
      switch (request.url) {
        case "/photo.jpg":
          return response.writeHead(200, { "content-type": "image/jpeg" }).end(photo);
        case "/octet":
          return response.writeHead(200, { "content-type": "application/octet-stream" }).end(big);
        case "/redirect":
          return response.writeHead(302, { location: "/photo.jpg" }).end();
        case "/slow":
          // Headers at once, then nothing: the whole fetch is bounded in time.
          response.writeHead(200, { "content-type": "image/jpeg" });
          response.write(photo.subarray(0, 100));
          return;
        case "/svg":
          return response
            .writeHead(200, { "content-type": "image/svg+xml" })
            .end('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
        default:
          return response.writeHead(404).end();
      }
    });
  });

  afterAll(async () => {
    await host.close();
    await egress.close();
    await rm(root, { recursive: true, force: true });
  });

  const media = (options = {}) =>
    createRemoteMedia({
      fetch: (url, init) => egress.fetch(url, init),
      storage: createDiskMediaStorage(root),
      urls,
      userAgent: "Socialdapres/test",
      options,
    });

  it("a thumbnail, WebP, at most 400 px, without the metadata of the original", async () => {
    const thumbnail = await media().fetchThumbnail(`${host.origin}/photo.jpg`);
    expect(thumbnail.url).toBe(`https://social.example/media/${thumbnail.key}`);
    expect(thumbnail.key).toMatch(/^remote\/[0-9a-f-]{36}\.thumb\.webp$/);
    const stored = await createDiskMediaStorage(root).get(thumbnail.key);
    const meta = await sharp(stored?.bytes).metadata();
    expect(meta.format).toBe("webp");
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(400);
    expect(stored?.bytes.includes(HOME)).toBe(false);
    expect(host.requests.at(-1)?.url).toBe("/photo.jpg");
  });

  it("follows a redirect; reads a photo sent as octet-stream by its bytes", async () => {
    await expect(media().fetchThumbnail(`${host.origin}/redirect`)).resolves.toBeTruthy();
    await expect(media().fetchThumbnail(`${host.origin}/octet`)).resolves.toBeTruthy();
  });

  it("refuses what is not a photo, too large, too slow, or not http", async () => {
    const refused = (url: string, options = {}) =>
      media(options)
        .fetchThumbnail(url)
        .then(
          () => "fetched",
          (error: Error) => error.name,
        );
    expect(await refused(`${host.origin}/svg`)).toBe("RemoteMediaError");
    expect(await refused(`${host.origin}/missing`)).toBe("RemoteMediaError");
    expect(await refused(`${host.origin}/photo.jpg`, { maxBytes: 1000 })).toBe("RemoteMediaError");
    expect(await refused(`${host.origin}/slow`, { timeoutMs: 300 })).toMatch(/Timeout|Abort/);
    expect(await refused("file:///etc/passwd")).toBe("RemoteMediaError");
    expect(await refused("data:image/png;base64,AAAA")).toBe("RemoteMediaError");
    // Nothing half-stored for any of them.
    const files = await readdir(root, { recursive: true });
    expect(files.filter((f) => f.endsWith(".webp")).length).toBe(3);
  });
});
