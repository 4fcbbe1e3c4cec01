import { readFileSync } from "node:fs";
import { type DocumentLoader, preloadedContexts } from "@fedify/fedify";
import { Activity, Note } from "@fedify/vocab";
import { describe, expect, it } from "vitest";
import { remoteReplyRecordSchema } from "../../../src/encounters/reply-input.ts";
import { noteToRemoteEncounter } from "../../../src/federation/mappers/remote-note.ts";
import { noteToRemoteReply } from "../../../src/federation/mappers/remote-reply.ts";

const FIXTURES = new URL("../../fixtures/fediverse/", import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8"));

/** No network in tests: Fedify's preloaded contexts, and nothing else. */
const documentLoader: DocumentLoader = async (url) => {
  const document = preloadedContexts[url];
  if (document === undefined) throw new Error(`no network in tests: ${url}`);
  return { contextUrl: null, documentUrl: url, document };
};
const loaders = { documentLoader, contextLoader: documentLoader };

/** A fixture as the inbox reads it: the Note of an activity, or a bare Note. */
async function map(path: string) {
  const json = readJson(path);
  const note =
    json.type === "Note"
      ? await Note.fromJsonLd(json, loaders)
      : await (await Activity.fromJsonLd(json, loaders)).getObject(loaders);
  if (!(note instanceof Note)) throw new Error(`${path} does not carry a Note`);
  const record = await noteToRemoteEncounter(note, {
    raw: json.type === "Note" ? json : json.object,
    contextLoader: documentLoader,
  });
  return noteToRemoteReply(note, record);
}

describe("remote Note → reply record", () => {
  it("a small server's reply with only the ActivityStreams context: everything we keep", async () => {
    const record = await map("minimal/create-note-reply-bare-context.json");
    expect(record).toEqual({
      iri: "https://small.example/alice/p/1795976500.1",
      url: "https://small.example/alice/p/1795976500.1",
      authorIri: "https://small.example/alice",
      inReplyTo:
        "https://socialdapres.example/users/bea/encounters/2710b37b-ef7c-4393-95f5-0960734a5083",
      contentLength: 164,
      contentHtml:
        '<span class="h-card"><a rel="nofollow noopener noreferrer" href="https://socialdapres.example/users/bea" class="u-url mention">@bea@socialdapres.example</a></span> Quelle belle rencontre, bravo !<br />',
      text: "@bea@socialdapres.example Quelle belle rencontre, bravo !",
      mentions: ["https://socialdapres.example/users/bea"],
      visibility: "public",
      publishedAt: new Date("2026-11-29T18:20:29Z"),
      updatedAt: null,
    });
    expect(remoteReplyRecordSchema.safeParse(record).success).toBe(true);
  });

  it("Mastodon's public reply: the mention kept, the link sanitized, public", async () => {
    const record = await map("mastodon/note-public-reply-mention-image-focalpoint.json");
    expect(record).toMatchObject({
      iri: "https://floss.social/users/kde/statuses/113306831140126616",
      inReplyTo: "https://floss.social/users/kde/statuses/113306824627995724",
      mentions: ["https://lemmy.kde.social/c/kde"],
      visibility: "public",
      publishedAt: new Date("2024-10-14T16:57:15Z"),
    });
    expect(record?.text).toContain("We also need funding 💶 to keep the gears turning!");
    expect(record?.contentHtml).toContain('rel="nofollow noopener noreferrer"');
    expect(record?.contentHtml).not.toContain("target=");
  });

  it("an unlisted reply (public in cc) is unlisted", async () => {
    const record = await map("mastodon/create-note-unlisted-reply-mention.json");
    expect(record).toMatchObject({
      inReplyTo: "http://localhost:8080/users/the_mighty_zork/statuses/01F8MHAMCHF6Y650WCRSCP4WMY",
      mentions: ["http://localhost:8080/users/the_mighty_zork"],
      visibility: "unlisted",
    });
  });

  it("GoToSocial's reply whose one tag is an object, not an array", async () => {
    const record = await map("gotosocial/note-reply-mention.json");
    expect(record).toMatchObject({
      inReplyTo: "http://localhost:8080/users/the_mighty_zork/statuses/01F8MHAMCHF6Y650WCRSCP4WMY",
      mentions: ["http://localhost:8080/users/the_mighty_zork"],
      visibility: "public",
    });
  });

  it("a Note that answers nothing is no reply", async () => {
    expect(await map("socialdapres/mastodon-create-note-socialdapres.json")).toBeUndefined();
  });
});
