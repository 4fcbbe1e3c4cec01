import type { Note, Tombstone } from "@fedify/vocab";
import { describe, expect, it } from "vitest";
import type { ActorRow } from "../../../src/actors/actors-repository.ts";
import type {
  EncounterView,
  ParticipantView,
} from "../../../src/encounters/encounters-repository.ts";
import { encounterToNote, type NoteContext } from "../../../src/federation/mappers/note.ts";
import { TootCreate } from "../../../src/federation/mappers/toot-terms.ts";
import { localUrls } from "../../../src/shared/local-urls.ts";

type Json = Record<string, unknown>;

const urls = localUrls(new URL("https://social.example"));
const fr: NoteContext = { urls, language: "fr" };
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

function actor(
  iri: string,
  username: string,
  host: string,
  extra: Partial<ActorRow> = {},
): ActorRow {
  return {
    id: `00000000-0000-4000-8000-${username.padStart(12, "0").slice(-12)}`,
    iri,
    memberId: null,
    type: "Person",
    username,
    host,
    name: username,
    summary: "",
    url: null,
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
    ...extra,
  };
}

const bea = actor("https://social.example/users/bea", "bea", "social.example", {
  memberId: "0b6f1c1e-5b5e-4a3a-9d55-2f7f3c2a1b10",
  url: "https://social.example/@bea",
});
const antoine = actor("https://mastodon.example/users/antoine", "antoine", "mastodon.example", {
  url: "https://mastodon.example/@antoine",
});
const zoe = actor("https://gts.example/users/zoe", "zoe", "gts.example");

const ID = "5f0c2b1e-8d4a-4c1e-9f3b-6a7d8e9f0a1b";

function participant(position: number, who: ActorRow | string): ParticipantView {
  const isActor = typeof who !== "string";
  return {
    id: `11111111-1111-4111-8111-00000000000${position}`,
    encounterId: ID,
    position,
    actorId: isActor ? who.id : null,
    plainName: isActor ? null : who,
    cosignState: "pending",
    cosignActivityIri: null,
    cosignedAt: null,
    hidden: false,
    actor: isActor ? who : null,
  };
}

function encounter(overrides: Partial<EncounterView> = {}): EncounterView {
  return {
    id: ID,
    iri: urls.encounter("bea", ID).href,
    url: urls.encounterPage("bea", ID).href,
    authorId: bea.id,
    isLocal: true,
    occurredOn: "2021-03-12",
    text: "Contente d'avoir croisé Antoine du mouvement des Barbares <3\nIl va bien.\n\nOn se revoit vite.",
    remoteContentHtml: null,
    keywords: ["BrightMirror"],
    visibility: "public",
    details: {},
    photo: null,
    inReplyTo: null,
    contentWarning: null,
    sensitive: false,
    likesCount: 0,
    announcesCount: 0,
    publishedAt: new Date("2021-03-14T09:26:53.589Z"),
    updatedAt: null,
    deletedAt: null,
    author: bea,
    participants: [participant(0, antoine)],
    ...overrides,
  };
}

async function jsonOf(object: Note | Tombstone): Promise<Json> {
  return (await object.toJsonLd({ format: "compact" })) as Json;
}

const snapshot = async (json: Json, name: string) =>
  expect(`${JSON.stringify(json, null, 2)}\n`).toMatchFileSnapshot(
    `../../__snapshots__/note-mapper.${name}.jsonld`,
  );

describe("encounterToNote: the exact JSON-LD we send", () => {
  it("public", async () => {
    await snapshot(await jsonOf(encounterToNote(encounter(), fr)), "public");
  });

  it("unlisted", async () => {
    await snapshot(
      await jsonOf(encounterToNote(encounter({ visibility: "unlisted" }), fr)),
      "unlisted",
    );
  });

  it("followers only", async () => {
    await snapshot(
      await jsonOf(encounterToNote(encounter({ visibility: "followers" }), fr)),
      "followers",
    );
  });

  it("participants only", async () => {
    const json = await jsonOf(
      encounterToNote(
        encounter({
          visibility: "participants",
          participants: [participant(0, antoine), participant(1, zoe)],
        }),
        fr,
      ),
    );
    await snapshot(json, "participants");
  });

  it("with a photo, a plain-name participant, unicode keywords and every detail, in English", async () => {
    const json = await jsonOf(
      encounterToNote(
        encounter({
          text: "Met at the café.",
          keywords: ["café", "Ünïcode_2021", "日本語", "socialdapres"],
          participants: [
            participant(0, antoine),
            participant(1, "Marie <Curie> & co"),
            participant(2, zoe),
          ],
          details: {
            emotion: "joy",
            learned: "how <b>looms</b> work",
            lookingFor: "a flat",
            canOffer: "bread",
            howTheyAre: "well",
          },
          photo: {
            url: "https://social.example/media/photos/p.webp",
            key: "photos/p.webp",
            thumbnailUrl: "https://social.example/media/photos/p.thumb.webp",
            thumbnailKey: "photos/p.thumb.webp",
            mediaType: "image/webp",
            width: 1600,
            height: 1200,
            blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
            alt: "Two cups of coffee on a terrace",
          },
          updatedAt: new Date("2021-03-15T10:00:00.000Z"),
        }),
        { urls, language: "en" },
      ),
    );
    await snapshot(json, "photo-plain-name-unicode");
  });

  it("a deleted encounter is a Tombstone", async () => {
    const json = await jsonOf(
      encounterToNote(encounter({ deletedAt: new Date("2021-03-16T08:00:00.000Z"), text: "" }), fr),
    );
    await snapshot(json, "tombstone");
  });
});

describe("what Mastodon relies on", () => {
  it("addresses each visibility as Mastodon does", async () => {
    const audience = async (visibility: EncounterView["visibility"]) => {
      const json = await jsonOf(encounterToNote(encounter({ visibility }), fr));
      return { to: json.to, cc: json.cc };
    };
    const followers = "https://social.example/users/bea/followers";
    expect(await audience("public")).toEqual({ to: PUBLIC, cc: [followers, antoine.iri] });
    expect(await audience("unlisted")).toEqual({ to: followers, cc: [PUBLIC, antoine.iri] });
    expect(await audience("followers")).toEqual({ to: followers, cc: antoine.iri });
    expect(await audience("participants")).toEqual({ to: antoine.iri });
  });

  it("puts every participant with an account both in to/cc and in a Mention tag", async () => {
    for (const visibility of ["public", "unlisted", "followers", "participants"] as const) {
      const json = await jsonOf(
        encounterToNote(
          encounter({
            visibility,
            participants: [participant(0, antoine), participant(1, "Marie"), participant(2, zoe)],
          }),
          fr,
        ),
      );
      const addressed = [json.to, json.cc].flat();
      const mentions = (json.tag as Json[]).filter((t) => t.type === "Mention").map((t) => t.href);
      expect(mentions, visibility).toEqual([antoine.iri, zoe.iri]);
      for (const iri of mentions) expect(addressed, visibility).toContain(iri);
    }
  });

  it("names a participant once even if listed twice", async () => {
    const json = await jsonOf(
      encounterToNote(
        encounter({ participants: [participant(0, antoine), participant(1, antoine)] }),
        fr,
      ),
    );
    expect((json.tag as Json[]).filter((t) => t.type === "Mention")).toHaveLength(1);
    expect(json.cc).toEqual(["https://social.example/users/bea/followers", antoine.iri]);
    expect((json.content as string).match(/u-url mention/g)).toHaveLength(1);
  });

  it("escapes the text, keeps its line breaks and adds nothing private", async () => {
    const json = await jsonOf(encounterToNote(encounter(), fr));
    const content = json.content as string;
    expect(content).toContain(
      "<p>Contente d&#39;avoir croisé Antoine du mouvement des Barbares &lt;3<br>Il va bien.</p><p>On se revoit vite.</p>",
    );
    expect(json.contentMap).toEqual({ fr: content });
    expect(json.source).toEqual({ content: encounter().text, mediaType: "text/plain" });
    expect(JSON.stringify(json)).not.toContain(bea.memberId);
  });

  it("gives the photo's blurhash under the plain key Mastodon reads, with the term defined", async () => {
    const note = encounterToNote(
      encounter({
        photo: {
          url: "https://social.example/media/photos/p.webp",
          key: "photos/p.webp",
          thumbnailUrl: "https://social.example/media/photos/p.thumb.webp",
          thumbnailKey: "photos/p.thumb.webp",
          mediaType: "image/webp",
          width: 4,
          height: 3,
          blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
          alt: "",
        },
      }),
      fr,
    );
    for (const json of [
      (await note.toJsonLd()) as Json, // what the object dispatcher serves
      await jsonOf(note),
      (
        (await new TootCreate({ id: new URL("https://social.example/c"), object: note }).toJsonLd({
          format: "compact",
        })) as Json
      ).object as Json, // what is sent
    ]) {
      expect(json.attachment).toEqual([
        {
          type: "Document",
          blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
          height: 3,
          mediaType: "image/webp",
          url: "https://social.example/media/photos/p.webp",
          width: 4,
        },
      ]);
    }
    const sent = (await new TootCreate({
      id: new URL("https://social.example/c"),
      object: note,
    }).toJsonLd({
      format: "compact",
    })) as Json;
    expect(JSON.stringify(sent["@context"])).toContain('"blurhash":"toot:blurhash"');
  });

  it("counts the replies anyone may read in its replies collection", async () => {
    const json = await jsonOf(encounterToNote(encounter(), { ...fr, repliesCount: 3 }));
    expect(json.replies).toEqual({
      id: `${urls.encounter("bea", ID).href}/replies`,
      type: "Collection",
      totalItems: 3,
    });
    // Without a count (a mapper used on its own), no collection is claimed.
    expect(await jsonOf(encounterToNote(encounter(), fr))).not.toHaveProperty("replies");
  });

  it("is pure: the same encounter gives the same JSON", async () => {
    expect(await jsonOf(encounterToNote(encounter(), fr))).toEqual(
      await jsonOf(encounterToNote(encounter(), fr)),
    );
  });
});
