import type { Note, Tombstone } from "@fedify/vocab";
import { describe, expect, it } from "vitest";
import type { ActorRow } from "../../../src/actors/actors-repository.ts";
import type { ReplyView } from "../../../src/encounters/replies-repository.ts";
import { replyAudience, replyToNote } from "../../../src/federation/mappers/reply-note.ts";
import { localUrls } from "../../../src/shared/local-urls.ts";

type Json = Record<string, unknown>;

const urls = localUrls(new URL("https://social.example"));
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const FOLLOWERS = "https://social.example/users/carl/followers";
const BEA = "https://social.example/users/bea";
const ZOE = "https://gts.example/users/zoe";
const ID = "7a0c2b1e-8d4a-4c1e-9f3b-6a7d8e9f0a1b";
const ENCOUNTER =
  "https://social.example/users/bea/encounters/5f0c2b1e-8d4a-4c1e-9f3b-6a7d8e9f0a1b";

function actor(iri: string, username: string, host: string, url: string | null): ActorRow {
  return {
    id: `00000000-0000-4000-8000-${username.padStart(12, "0")}`,
    iri,
    memberId: null,
    type: "Person",
    username,
    host,
    name: username,
    summary: "",
    url,
    inboxUrl: `${iri}/inbox`,
    sharedInboxUrl: null,
    followersUrl: `${iri}/followers`,
    avatarUrl: null,
    manuallyApprovesFollowers: false,
    fetchedAt: null,
    movedTo: null,
    suspendedAt: null,
    silencedAt: null,
    createdAt: new Date("2021-01-01T00:00:00Z"),
  };
}

const bea = actor(BEA, "bea", "social.example", "https://social.example/@bea");
const zoe = actor(ZOE, "zoe", "gts.example", null);
const carl = actor("https://social.example/users/carl", "carl", "social.example", null);

function reply(overrides: Partial<ReplyView> = {}): ReplyView {
  return {
    id: ID,
    iri: urls.reply("carl", ID).href,
    url: `https://social.example/@bea/5f0c2b1e-8d4a-4c1e-9f3b-6a7d8e9f0a1b#reply-${ID}`,
    encounterId: "5f0c2b1e-8d4a-4c1e-9f3b-6a7d8e9f0a1b",
    inReplyToIri: ENCOUNTER,
    authorId: carl.id,
    isLocal: true,
    text: "Bravo",
    remoteContentHtml: null,
    visibility: "public",
    mentions: [BEA, ZOE],
    publishedAt: new Date("2026-11-29T10:00:00.000Z"),
    updatedAt: null,
    deletedAt: null,
    author: carl,
    ...overrides,
  };
}

const jsonOf = async (object: Note | Tombstone) =>
  (await object.toJsonLd({ format: "compact" })) as Json;

describe("replyToNote: a member's reply as Mastodon writes one", () => {
  it("inReplyTo the encounter, the mentions first, each addressee tagged", async () => {
    const json = await jsonOf(
      replyToNote(reply({ text: "Bravo <3" }), { urls, language: "fr", addressed: [bea, zoe] }),
    );
    expect(json).toMatchObject({
      id: urls.reply("carl", ID).href,
      type: "Note",
      attributedTo: carl.iri,
      inReplyTo: ENCOUNTER,
      published: "2026-11-29T10:00:00Z",
      to: PUBLIC,
      cc: [FOLLOWERS, BEA, ZOE],
      sensitive: false,
      source: { content: "Bravo <3", mediaType: "text/plain" },
      tag: [
        { type: "Mention", href: BEA, name: "@bea@social.example" },
        { type: "Mention", href: ZOE, name: "@zoe@gts.example" },
      ],
    });
    expect(json.content).toBe(
      '<p><span class="h-card" translate="no"><a href="https://social.example/@bea" class="u-url mention">@<span>bea</span></a></span> <span class="h-card" translate="no"><a href="https://gts.example/users/zoe" class="u-url mention">@<span>zoe</span></a></span> Bravo &lt;3</p>',
    );
    expect(json.contentMap).toEqual({ fr: json.content });
  });

  it("addresses each visibility as Mastodon addresses a reply", () => {
    const address = (visibility: ReplyView["visibility"]) => {
      const { to, cc } = replyAudience(reply({ visibility }), urls);
      return { to: to.map(String), cc: cc.map(String) };
    };
    expect(address("public")).toEqual({ to: [PUBLIC], cc: [FOLLOWERS, BEA, ZOE] });
    expect(address("unlisted")).toEqual({ to: [FOLLOWERS], cc: [PUBLIC, BEA, ZOE] });
    expect(address("followers")).toEqual({ to: [FOLLOWERS], cc: [BEA, ZOE] });
    expect(address("participants")).toEqual({ to: [BEA, ZOE], cc: [] });
  });

  it("a deleted reply is a Tombstone", async () => {
    const json = await jsonOf(
      replyToNote(reply({ deletedAt: new Date("2026-11-30T00:00:00Z") }), {
        urls,
        language: "fr",
        addressed: [],
      }),
    );
    expect(json).toMatchObject({ type: "Tombstone", id: urls.reply("carl", ID).href });
  });
});
