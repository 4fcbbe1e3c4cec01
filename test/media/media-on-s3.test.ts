import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/commands.ts";
import { createDiskMediaStorage } from "../../src/media/media-storage.ts";
import { createS3MediaStorage } from "../../src/media/s3-media-storage.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { startS3Server, type TestS3 } from "../support/s3-server.ts";
import { WebClient } from "../support/web.ts";
import { solid } from "./images.ts";

/*
 * An instance whose media live on an S3-compatible server on loopback (s3rver): a photo posted
 * through the compose page lands in the bucket and is served at /media/<key>; deleting the
 * encounter, then the account, removes their objects; `media migrate` copies a disk store in.
 */
describe(`media on S3 (${databaseLabel})`, () => {
  let s3: TestS3;
  let t: TestApp;
  let bea: WebClient;
  let jpeg: Buffer;

  const run = async (argv: string[]) => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    return { code: await runCommand(t.app, argv, io), text: lines.join("\n") };
  };
  const compose = (fields: Record<string, string>) =>
    bea.postMultipart(
      "/compose",
      { participants: ["Marie"], text: "Pique-nique au parc", visibility: "public", ...fields },
      { photo: { bytes: jpeg, type: "image/jpeg", name: "picnic.jpg" } },
    );

  beforeAll(async () => {
    s3 = await startS3Server();
    t = await buildTestApp({ s3: s3.settings });
    await t.app.members.create({ username: "bea", password: "bea-password-123" });
    bea = await new WebClient(t.app.http).login("bea", "bea-password-123");
    jpeg = await solid(640, 480, "#3a7").jpeg().toBuffer();
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  it("stores a photo posted through the compose page in the bucket, and serves it", async () => {
    const posted = await compose({ photoAlt: "Une nappe à carreaux" });
    expect(posted.statusCode, posted.body.slice(0, 300)).toBe(303);
    const id = /\/@bea\/([0-9a-f-]{36})$/.exec(String(posted.headers.location))?.[1] as string;
    const photo = (await t.app.encounterRepository.findById(id))?.photo;
    expect(photo?.url).toBe(`${t.baseUrl}/media/${photo?.key}`);
    expect(await s3.keys()).toEqual([photo?.key, photo?.thumbnailKey].sort());
    const served = await t.app.http.inject({ url: `/media/${photo?.key}` });
    expect(served.statusCode).toBe(200);
    expect(served.headers["content-type"]).toBe("image/webp");
    const inBucket = await createS3MediaStorage(s3.settings).get(photo?.key as string);
    expect(served.rawPayload.equals(inBucket?.bytes as Buffer)).toBe(true);

    // Deleting the encounter deletes both objects.
    await t.app.encounters.delete("bea", id);
    expect(await s3.keys()).toEqual([]);
  });

  it("deleting the account deletes every object it had: photos, avatar, pending upload", async () => {
    await compose({ photoAlt: "Le lac" });
    // A form refused (no description) keeps its photo as an upload waiting for the next try.
    expect((await compose({})).statusCode).toBe(422);
    const png = await solid(400, 400, "#a47").png().toBuffer();
    await t.app.profiles.update("bea", {}, { avatar: png });
    const keys = await s3.keys();
    expect(keys.filter((k) => k.startsWith("photos/") && !k.includes(".thumb."))).toHaveLength(2);
    expect(keys.some((k) => k.startsWith("profiles/"))).toBe(true);

    await t.app.accountDeletion.deleteAccount("bea");
    expect(await s3.keys()).toEqual([]);
  });

  it("media migrate copies the disk store into the bucket, resumably, and the app serves it", async () => {
    const disk = createDiskMediaStorage(join(t.app.config.dataDir, "media"));
    const files = ["photos/old-1.webp", "photos/old-1.thumb.webp", "profiles/old.avatar.webp"];
    for (const [i, key] of files.entries()) {
      await disk.put(key, Buffer.from(`bytes of file ${i}`), "image/webp");
    }
    const first = await run(["media", "migrate"]);
    expect(first.code, first.text).toBe(0);
    expect(first.text).toContain("3 files");
    expect(first.text).toContain("3 copied");
    expect(await s3.keys()).toEqual([...files].sort());

    // A second run copies nothing; one cut short copies what is missing.
    expect((await run(["media", "migrate"])).text).toContain("0 copied");
    await createS3MediaStorage(s3.settings).delete("photos/old-1.webp");
    const resumed = await run(["media", "migrate"]);
    expect(resumed.text).toContain("1 copied");
    expect(resumed.text).toContain("2 already in bucket media");

    const served = await t.app.http.inject({ url: "/media/profiles/old.avatar.webp" });
    expect(served.body).toBe("bytes of file 2");
  });
});

describe(`media migrate without S3 (${databaseLabel})`, () => {
  it("says which variables to set", async () => {
    const t = await buildTestApp();
    try {
      const lines: string[] = [];
      const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
      expect(await runCommand(t.app, ["media", "migrate"], io)).toBe(1);
      expect(lines.join("\n")).toContain("set S3_BUCKET");
    } finally {
      await t.close();
    }
  });
});
