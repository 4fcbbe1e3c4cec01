import { readFileSync } from "node:fs";
import { type DocumentLoader, preloadedContexts } from "@fedify/fedify";
import { Activity, Note } from "@fedify/vocab";
import { describe, expect, it } from "vitest";
import {
  isSocialdapres,
  noteToRemoteEncounter,
} from "../../../src/federation/mappers/remote-note.ts";

const FIXTURES = new URL("../../fixtures/fediverse/", import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8"));

// Pleroma names its own context; everything else these payloads use ships with Fedify.
const LOCAL_CONTEXTS: Record<string, unknown> = {
  "https://greenish.red/schemas/litepub-0.1.jsonld": readJson("contexts/litepub-0.1.jsonld"),
};

/** No network in tests: Fedify's preloaded contexts and ours, and nothing else. */
const documentLoader: DocumentLoader = async (url) => {
  const document = preloadedContexts[url] ?? LOCAL_CONTEXTS[url];
  if (document === undefined) throw new Error(`no network in tests: ${url}`);
  return { contextUrl: null, documentUrl: url, document };
};
const loaders = { documentLoader, contextLoader: documentLoader };

/** A change made to a fixture's Note before parsing it. */
type Edit = (json: { object: Record<string, unknown> }) => void;

/** A fixture as the inbox sees it: an activity wrapping a Note, or a bare Note. */
async function load(path: string, edit?: Edit) {
  const json = readJson(path);
  edit?.(json);
  if (json.type === "Note") return { note: await Note.fromJsonLd(json, loaders), raw: json };
  const activity = await Activity.fromJsonLd(json, loaders);
  const note = await activity.getObject(loaders);
  if (!(note instanceof Note)) throw new Error(`${path} does not carry a Note`);
  return { note, raw: json.object };
}

async function map(path: string, edit?: Edit) {
  const { note, raw } = await load(path, edit);
  return noteToRemoteEncounter(note, { raw, contextLoader: documentLoader });
}

describe("remote Note → encounter record", () => {
  it("reads a Mastodon post tagged #Socialdapres: everything we keep, exactly", async () => {
    expect(await map("socialdapres/mastodon-create-note-socialdapres.json")).toEqual({
      iri: "https://mastodon.example/users/antoine/statuses/113306831140126999",
      url: "https://mastodon.example/@antoine/113306831140126999",
      authorIri: "https://mastodon.example/users/antoine",
      contentHtml:
        '<p>Glad to have crossed paths with <span class="h-card"><a rel="nofollow noopener noreferrer" href="https://socialdapres.example/@bea" class="u-url mention">@<span>bea</span></a></span> from the Barbares movement … <a rel="nofollow noopener noreferrer tag" href="https://mastodon.example/tags/BrightMirror" class="mention hashtag">#<span>BrightMirror</span></a> <a rel="nofollow noopener noreferrer tag" href="https://mastodon.example/tags/Socialdapres" class="mention hashtag">#<span>Socialdapres</span></a></p><p>She is doing well.</p>',
      text: "Glad to have crossed paths with @bea from the Barbares movement … #BrightMirror #Socialdapres\n\nShe is doing well.",
      hasSocialdapresTag: true,
      keywords: ["BrightMirror"],
      mentions: [
        { iri: "https://socialdapres.example/users/bea", name: "@bea@socialdapres.example" },
      ],
      photo: {
        url: "https://cdn.mastodon.example/media_attachments/files/113/306/826/original/c8d906a2f2ab2334.jpg",
        mediaType: "image/jpeg",
        width: 1500,
        height: 1095,
        blurhash: "USQv:h-W-qI-^,W;RPs=^-R%NZxbo#sDobSc",
        alt: "Béa and Antoine in front of the café",
      },
      inReplyTo: null,
      visibility: "public",
      publishedAt: new Date("2024-10-14T16:57:15Z"),
      updatedAt: null,
      contentWarning: null,
      sensitive: false,
      occurredOn: null,
    });
  });

  it("Mastodon: the first image is the photo (not the video), with its blurhash, no size given", async () => {
    const record = await map("mastodon/create-note-public-image-video-blurhash.json");
    expect(record.photo).toEqual({
      url: "https://files.mastodon.social/media_attachments/files/017/642/079/original/f51b0aee0ee1f2e1.jpg",
      mediaType: "image/jpeg",
      width: null,
      height: null,
      blurhash: "UaH1x+IpD*RktToft6s:0f%2tQj@xsWWRkNG",
      alt: "",
    });
    expect(record).toMatchObject({
      visibility: "public",
      hasSocialdapresTag: false,
      text: "image test",
    });
  });

  it("Mastodon: hashtags become keywords, custom emoji are not tags we keep, unlisted stays unlisted", async () => {
    const record = await map("mastodon/create-note-unlisted-hashtags-emoji.json");
    expect(record.keywords).toEqual(["tags", "emoji"]);
    expect(record.visibility).toBe("unlisted");
    expect(record.text).toContain("don't mind me....");
    expect(record.contentHtml).not.toContain("<a href");
  });

  it("Mastodon: keywords are deduplicated ignoring case; unreadable tags are dropped", async () => {
    const record = await map("mastodon/note-public-mention-hashtags.json");
    // "각" arrives decomposed (three jamo) and is kept composed, as one character.
    expect(record.keywords).toEqual(["fediverse", "gotosocial", "Grüvy", "\uAC01"]);
    expect(record.mentions).toEqual([
      {
        iri: "https://gts.superseriousbusiness.org/users/gotosocial",
        name: "@gotosocial@superseriousbusiness.org",
      },
    ]);
    // The translate attribute and the empty class go; the microformats stay.
    expect(record.contentHtml).not.toMatch(/translate=|class=""/);
    expect(record.contentHtml).toContain('class="h-card"');
  });

  it("Mastodon: a reply with a mention, alt text from `name`, size, blurhash", async () => {
    const record = await map("mastodon/note-public-reply-mention-image-focalpoint.json");
    expect(record.inReplyTo).toBe("https://floss.social/users/kde/statuses/113306824627995724");
    expect(record.mentions.map((m) => m.iri)).toEqual(["https://lemmy.kde.social/c/kde"]);
    expect(record.photo).toMatchObject({
      alt: "The KDE dragons Katie and Konqi stand on either side of a pot filling up with gold coins. Donate!",
      width: 1500,
      height: 1095,
      blurhash: "USQv:h-W-qI-^,W;RPs=^-R%NZxbo#sDobSc",
    });
    expect(record.text).toContain("https://kde.org/donate/");
  });

  it("Mastodon: followers in to and Public in cc is unlisted; a 2018 post with Public in to is public", async () => {
    const reply = await map("mastodon/create-note-unlisted-reply-mention.json");
    expect(reply).toMatchObject({
      visibility: "unlisted",
      inReplyTo: "http://localhost:8080/users/the_mighty_zork/statuses/01F8MHAMCHF6Y650WCRSCP4WMY",
    });
    // Mastodon's "invisible" spans hide part of the link text; the plain text keeps all of it.
    expect(reply.text).toContain("https://social.pixie.town/users/f0x/statuses/106221628567855262");
    const old = await map("mastodon/create-note-cw-mention-2018.json");
    expect(old).toMatchObject({ visibility: "public", text: "@lain" });
  });

  it("Mastodon: an edited direct post has its `updated` time and is participants-only", async () => {
    const record = await map("mastodon/update-note-edited.json");
    expect(record).toMatchObject({
      visibility: "participants",
      updatedAt: new Date("2022-12-06T07:55:48Z"),
      publishedAt: new Date("2022-12-06T06:20:13Z"),
    });
  });

  it("GoToSocial: bare strings instead of arrays for to, cc and tag", async () => {
    const post = await map("gotosocial/create-note.json");
    expect(post).toMatchObject({
      visibility: "public",
      text: "hello everyone!",
      publishedAt: new Date("2021-10-20T10:40:37Z"),
    });
    const reply = await map("gotosocial/note-reply-mention.json");
    expect(reply.mentions).toEqual([
      {
        iri: "http://localhost:8080/users/the_mighty_zork",
        name: "@the_mighty_zork@localhost:8080",
      },
    ]);
  });

  it("Pleroma: its litepub context, a mention, microsecond timestamps, no url", async () => {
    const record = await map("pleroma/create-note.json");
    expect(record).toMatchObject({
      authorIri: "https://greenish.red/users/nutomic",
      url: null,
      visibility: "public",
      inReplyTo: "https://enterprise.lemmy.ml/post/55143",
      text: "@lanodan test",
      publishedAt: new Date("2021-10-26T10:28:35.602Z"),
    });
    expect(record.mentions.map((m) => m.iri)).toEqual(["https://enterprise.lemmy.ml/u/picard"]);
  });

  it("Misskey: millisecond timestamps, HTML content beside _misskey_content", async () => {
    expect(await map("misskey/create-note.json")).toMatchObject({
      iri: "https://mk.absturztau.be/notes/93e7nm8wqg",
      text: "meow",
      contentHtml: "<p><span>meow</span></p>",
      visibility: "public",
      publishedAt: new Date("2022-08-01T11:06:49.568Z"),
    });
  });

  it("a Note without attributedTo cannot be read (Mastodon's own spec input)", async () => {
    const { note } = await load("mastodon/spec-create-note-followers-only.json");
    await expect(noteToRemoteEncounter(note)).rejects.toThrow(TypeError);
  });

  it("alt text sent as `summary`, an Image with a Link url, and a `type` array", async () => {
    const record = await map("socialdapres/mastodon-create-note-socialdapres.json", (json) => {
      json.object.type = ["Note"];
      json.object.attachment = [
        { type: "Document", mediaType: "video/mp4", url: "https://cdn.example/v.mp4" },
        { type: "Image", url: "javascript:alert(1)", name: "bad" },
        {
          type: "Image",
          url: { type: "Link", href: "https://cdn.example/p.png", mediaType: "image/png" },
          summary: "A photo of the market",
          width: 640,
          height: 480,
          blurhash: "not a <blurhash>",
        },
      ];
    });
    expect(record.photo).toEqual({
      url: "https://cdn.example/p.png",
      mediaType: "",
      width: 640,
      height: 480,
      blurhash: null,
      alt: "A photo of the market",
    });
  });

  it("addressing: followers collection → followers; nothing public → participants", async () => {
    const addressed = (to: string[], cc: string[]) =>
      map("socialdapres/mastodon-create-note-socialdapres.json", (json) => {
        json.object.to = to;
        json.object.cc = cc;
      });
    const followers = "https://mastodon.example/users/antoine/followers";
    const bea = "https://socialdapres.example/users/bea";
    expect((await addressed([followers], [bea])).visibility).toBe("followers");
    expect((await addressed([bea], [])).visibility).toBe("participants");
    expect((await addressed(["as:Public"], [])).visibility).toBe("public");
    expect(
      (await addressed([bea], ["https://www.w3.org/ns/activitystreams#Public"])).visibility,
    ).toBe("unlisted");
  });

  it("#Socialdapres by name or by tag link, ignoring case and accents; nothing else", () => {
    expect(isSocialdapres("#Socialdapres")).toBe(true);
    expect(isSocialdapres("SOCIALDAPRÈS")).toBe(true);
    expect(isSocialdapres("#x", new URL("https://m.example/tags/SocialDapres"))).toBe(true);
    expect(isSocialdapres("", new URL("https://m.example/tags/socialdapr%C3%A8s/"))).toBe(true);
    expect(isSocialdapres("#SocialdapresFake")).toBe(false);
    expect(isSocialdapres("#x", new URL("https://m.example/socialdapres"))).toBe(false);
    expect(isSocialdapres("#x", new URL("https://m.example/tags/socialdapres/extra"))).toBe(false);
  });

  it("keywords: one per word whatever its case, never #Socialdapres itself, at most 50 characters", async () => {
    const record = await map("socialdapres/mastodon-create-note-socialdapres.json", (json) => {
      json.object.tag = [
        { type: "Hashtag", name: "#Café" },
        { type: "Hashtag", name: "#CAFÉ" },
        { type: "Hashtag", name: "#SocialDaprès" },
        { type: "Hashtag", name: "#with space" },
        { type: "Hashtag", name: `#${"x".repeat(51)}` },
        { type: "Hashtag", name: "marché" },
      ];
    });
    expect(record).toMatchObject({ hasSocialdapresTag: true, keywords: ["Café", "marché"] });
  });

  it("a tag given only by IRI is never fetched; the content's tag links stand in for it", async () => {
    const record = await map("socialdapres/mastodon-create-note-socialdapres.json", (json) => {
      json.object.tag = ["https://elsewhere.example/tags/socialdapres"];
    });
    expect(record.mentions).toEqual([]);
    // The content links #BrightMirror and #Socialdapres with rel="tag".
    expect(record).toMatchObject({ hasSocialdapresTag: true, keywords: ["BrightMirror"] });
    const untagged = await map("socialdapres/mastodon-create-note-socialdapres.json", (json) => {
      json.object.tag = ["https://elsewhere.example/tags/socialdapres"];
      json.object.content = "<p>No tag link here, only #Socialdapres as plain text</p>";
    });
    expect(untagged).toMatchObject({ hasSocialdapresTag: false, keywords: [] });
  });

  it("a bare ActivityStreams context: hashtags read from the JSON as sent (a `?t=` link)", async () => {
    const path = "minimal/create-note-bare-context-hashtag.json";
    // What JSON-LD alone gives: `Hashtag` is not in the context, so Fedify sees Mentions only.
    const { note } = await load(path);
    const parsed = [];
    for await (const tag of note.getTags(loaders)) parsed.push(tag.constructor.name);
    expect(parsed).toEqual(["Mention"]);

    expect(await map(path)).toMatchObject({
      iri: "https://small.example/alice/p/1795976429.617342",
      hasSocialdapresTag: true,
      keywords: ["marché"],
      mentions: [
        { iri: "https://socialdapres.example/users/bea", name: "@bea@socialdapres.example" },
      ],
      // An empty `summary` is no content warning.
      contentWarning: null,
      sensitive: false,
      visibility: "public",
    });
    // The JSON as sent is enough: without the content's tag links too.
    const withoutLinks = await map(path, (json) => {
      json.object.content = "Quel plaisir de revoir bea au marché ce matin";
    });
    expect(withoutLinks).toMatchObject({ hasSocialdapresTag: true, keywords: ["marché"] });
  });

  it("without the JSON as sent, the content's rel=tag links stand in (any href shape)", async () => {
    const { note } = await load("minimal/create-note-bare-context-hashtag.json");
    const record = await noteToRemoteEncounter(note, { contextLoader: documentLoader });
    expect(record).toMatchObject({ hasSocialdapresTag: true, keywords: ["Marché"] });
    const plain = await load("minimal/create-note-bare-context-hashtag.json", (json) => {
      json.object.content = "Quel plaisir de revoir bea #Socialdapres";
    });
    expect(
      await noteToRemoteEncounter(plain.note, { contextLoader: documentLoader }),
    ).toMatchObject({ hasSocialdapresTag: false });
  });

  it("a hostile tag array: junk entries skipped, names bounded, only the first entries read", async () => {
    const record = await map("minimal/create-note-bare-context-hashtag.json", (json) => {
      json.object.content = "no links";
      json.object.tag = [
        null,
        42,
        "https://small.example?t=socialdapres",
        [{ type: "Hashtag", name: "#nested" }],
        { type: "Hashtag" },
        { type: "Hashtag", name: { "@value": "#object" } },
        { type: "Hashtag", name: `#${"x".repeat(100_000)}` },
        { type: "Hashtag", href: "javascript:alert(1)" },
        { type: "Hashtag", href: { href: 7 } },
        { type: ["Hashtag", "Extra"], name: "#Typed" },
        { type: "Mention", name: "#NotAHashtag" },
        { type: "Hashtag", href: "https://small.example/?t=socialdapr%C3%A8s" },
        ...Array.from({ length: 500 }, () => ({ type: "Hashtag", name: "#" })),
        { type: "Hashtag", name: "#BeyondTheLimit" },
      ];
    });
    expect(record).toMatchObject({ hasSocialdapresTag: true, keywords: ["Typed"] });
  });

  it("Mastodon: a content warning and `sensitive` are kept", async () => {
    expect(await map("mastodon/note-cw-sensitive-reply.json")).toMatchObject({
      contentWarning: "reading: Punishment and Reward in the Corporate University",
      sensitive: true,
    });
    expect(await map("mastodon/create-note-cw-mention-2018.json")).toMatchObject({
      contentWarning: "cw",
      sensitive: true,
    });
    // Under the bare context `sensitive` is undefined: the JSON as sent says it.
    const bare = await map("minimal/create-note-bare-context-hashtag.json", (json) => {
      json.object.sensitive = true;
      json.object.summary = "<b>spoiler</b>  ahead";
    });
    expect(bare).toMatchObject({ contentWarning: "spoiler ahead", sensitive: true });
  });

  it("the day of the encounter, from a Socialdapres Note's startTime; junk is no day", async () => {
    const dated = await map("minimal/create-note-bare-context-hashtag.json", (json) => {
      json.object.startTime = "2026-11-28T00:00:00Z";
    });
    expect(dated.occurredOn).toBe("2026-11-28");
    const far = await map("minimal/create-note-bare-context-hashtag.json", (json) => {
      json.object.startTime = "+099999-01-01T00:00:00Z";
    });
    expect(far.occurredOn).toBeNull();
  });
});
