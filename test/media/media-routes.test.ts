import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerErrorHandling } from "../../src/http/errors.ts";
import { registerMediaRoutes } from "../../src/media/media-routes.ts";
import { createDiskMediaStorage } from "../../src/media/media-storage.ts";
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
