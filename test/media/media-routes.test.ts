import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerErrorHandling } from "../../src/http/errors.ts";
import { registerMediaRoutes } from "../../src/media/media-routes.ts";
import { createDiskMediaStorage } from "../../src/media/media-storage.ts";
import { createS3MediaStorage } from "../../src/media/s3-media-storage.ts";
import { startS3Server, type TestS3 } from "../support/s3-server.ts";
import { solid } from "./images.ts";

let root: string;
let app: FastifyInstance;
let photo: Buffer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "socialdapres-media-routes-"));
  const storage = createDiskMediaStorage(join(root, "media"));
  photo = await solid(30, 20).webp().toBuffer();
  await storage.put("photos/abc.webp", photo, "image/webp");
  // Files a request must never reach: outside the media directory, and a temp file inside it.
  await writeFile(join(root, "secret.webp"), "TOP-SECRET");
  await writeFile(join(root, "media/photos/.tmp-1.webp"), "half");
  app = Fastify();
  // The instance's own error shape, for the paths that URL normalisation takes out of /media.
  registerErrorHandling(app);
  registerMediaRoutes(app, { storage });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await rm(root, { recursive: true, force: true });
});

describe("GET /media/*", () => {
  it("serves the bytes with their type and long-lived cache headers", async () => {
    const response = await app.inject({ method: "GET", url: "/media/photos/abc.webp" });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(photo)).toBe(true);
    expect(response.headers).toMatchObject({
      "content-type": "image/webp",
      "content-length": String(photo.length),
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    });
  });

  it("answers HEAD with the same headers and no body", async () => {
    const response = await app.inject({ method: "HEAD", url: "/media/photos/abc.webp" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("image/webp");
    expect(response.rawPayload.length).toBe(0);
  });

  it.each([
    "/media/photos/missing.webp",
    "/media/photos",
    "/media/photos/",
    "/media/",
    "/media/../secret.webp",
    "/media/..%2Fsecret.webp",
    "/media/photos/..%2F..%2Fsecret.webp",
    "/media/%2e%2e/secret.webp",
    "/media/photos/.tmp-1.webp",
    "/media/photos/ABC.webp",
    "/media/photos/abc.webp%00.png",
  ])("answers 404 with a JSON error for %s", async (url) => {
    const response = await app.inject({ method: "GET", url });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: expect.any(String) });
    expect(response.body).not.toContain("TOP-SECRET");
  });
});

describe("GET /media/* on S3", () => {
  let s3: TestS3;
  let streaming: FastifyInstance;
  let redirecting: FastifyInstance;

  beforeAll(async () => {
    s3 = await startS3Server();
    const storage = createS3MediaStorage(s3.settings);
    await storage.put("photos/abc.webp", photo, "image/webp");
    streaming = Fastify();
    registerErrorHandling(streaming);
    registerMediaRoutes(streaming, { storage });
    redirecting = Fastify();
    registerErrorHandling(redirecting);
    registerMediaRoutes(redirecting, { storage, publicUrl: "https://media.social.example/sdp" });
    await Promise.all([streaming.ready(), redirecting.ready()]);
  });
  afterAll(async () => {
    await Promise.all([streaming?.close(), redirecting?.close()]);
    await s3?.close();
  });

  it("streams the object through the app without a public URL", async () => {
    const response = await streaming.inject({ url: "/media/photos/abc.webp" });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(photo)).toBe(true);
    expect(response.headers["content-type"]).toBe("image/webp");
    expect((await streaming.inject({ url: "/media/photos/missing.webp" })).statusCode).toBe(404);
  });

  it("redirects to S3_PUBLIC_URL when one is set, for valid keys only", async () => {
    const response = await redirecting.inject({ url: "/media/photos/abc.webp" });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe("https://media.social.example/sdp/photos/abc.webp");
    const invalid = await redirecting.inject({ url: "/media/..%2Fsecret.webp" });
    expect(invalid.statusCode).toBe(404);
  });

  it("answers 503 when the store cannot be reached", async () => {
    const broken = Fastify();
    registerErrorHandling(broken);
    registerMediaRoutes(broken, {
      storage: createS3MediaStorage({ ...s3.settings, endpoint: "http://127.0.0.1:9" }),
    });
    const response = await broken.inject({ url: "/media/photos/abc.webp" });
    await broken.close();
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBeDefined();
  });
});
