import { randomUUID } from "node:crypto";
import sharp from "sharp";
import type { RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import type { App } from "../../src/app.ts";
import { encounters } from "../../src/db/schema.ts";
import type { EncounterView } from "../../src/encounters/encounters-repository.ts";
import { insertRemoteEncounter } from "../support/remote-encounter.ts";

/**
 * What the public pages are tested against, built once: one encounter of each
 * visibility, co-signed, declined and deleted ones, remote ones, and 23 for paging.
 */
export interface EncounterScenario {
  pub: EncounterView;
  unlisted: EncounterView;
  followersOnly: EncounterView;
  participantsOnly: EncounterView;
  declined: EncounterView;
  deleted: EncounterView;
  deletedSecret: EncounterView;
  remoteId: string;
}

/** Texts that must never reach a public list (SECRET ones, not even a permalink). */
export const HIDDEN_MARKERS = [
  "SECRET-FOLLOWERS",
  "SECRET-PARTICIPANTS",
  "REMOTE-SECRET",
  "DELETED-MARKER",
];

const zed: RemoteActorRecord = {
  iri: "https://remote.example/users/zed",
  type: "Person",
  username: "zed",
  host: "remote.example",
  name: "Zed Remote",
  summary: "",
  url: "https://remote.example/@zed",
  inboxUrl: "https://remote.example/users/zed/inbox",
  sharedInboxUrl: "https://remote.example/inbox",
  followersUrl: "https://remote.example/users/zed/followers",
  avatarUrl: null,
  manuallyApprovesFollowers: false,
};

export async function buildEncounterScenario(app: App): Promise<EncounterScenario> {
  /** A remote encounter as ingestion stores it: sanitized HTML kept as received. */
  async function insertRemote(values: Partial<typeof encounters.$inferInsert>) {
    return insertRemoteEncounter(app, await app.actors.upsertRemote(zed), values);
  }

  await Promise.all(
    (
      [
        ["bea", "Béa Martin"],
        ["antoine", "Antoine Brachet"],
        ["chloe", "Chloé"],
        ["busy", "Busy Bee"],
      ] as const
    ).map(([username, displayName]) =>
      app.members.create({ username, displayName, password: `${username}-password-2021` }),
    ),
  );
  const photo = await sharp({
    create: { width: 800, height: 600, channels: 3, background: "#4a7" },
  })
    .jpeg()
    .toBuffer();

  const pub = await app.encounters.create(
    "bea",
    {
      text: "Ravie d'avoir croisé @antoine et Zoé <script>alert('x')</script> #BrightMirror",
      participants: ["@antoine", "Zoé <b>Plain</b>"],
      keywords: ["Barbares", "été", "東京"],
      details: { emotion: "joie & gratitude", howTheyAre: "Il va bien." },
      photoAlt: "Antoine devant la gare <3",
    },
    photo,
  );
  await app.cosign.cosign("antoine", pub.id);
  const followersOnly = await app.encounters.create("bea", {
    text: "SECRET-FOLLOWERS",
    participants: ["@antoine"],
    keywords: ["été"],
    visibility: "followers",
  });
  const participantsOnly = await app.encounters.create("bea", {
    text: "SECRET-PARTICIPANTS",
    participants: ["@antoine"],
    keywords: ["été"],
    visibility: "participants",
  });
  const unlisted = await app.encounters.create("bea", {
    text: "UNLISTED-MARKER",
    participants: ["@antoine"],
    keywords: ["été"],
    visibility: "unlisted",
  });
  await app.cosign.cosign("antoine", unlisted.id);
  const declined = await app.encounters.create("chloe", {
    text: "DECLINED-MARKER",
    participants: ["@antoine"],
    keywords: ["été"],
  });
  await app.cosign.decline("antoine", declined.id);
  const deleted = await app.encounters.create("chloe", {
    text: "DELETED-MARKER",
    participants: ["Eve"],
    keywords: ["été"],
  });
  await app.encounters.delete("chloe", deleted.id);
  const deletedSecret = await app.encounters.create("chloe", {
    text: "DELETED-MARKER",
    participants: ["Eve"],
    visibility: "followers",
  });
  await app.encounters.delete("chloe", deletedSecret.id);

  const remoteId = await insertRemote({
    text: "REMOTE-CONTENT",
    remoteContentHtml:
      '<p>REMOTE-CONTENT <a href="https://remote.example/tags/ete" class="mention hashtag" rel="tag">#Été</a></p>',
    keywords: ["Été", "Встреча"],
  });
  await insertRemote({ text: "REMOTE-SECRET", keywords: ["été"], visibility: "followers" });
  await insertRemote({
    text: "REMOTE-UNSAFE",
    url: "javascript:alert(1)",
    keywords: ["unsafe"],
  });

  // 23 encounters a minute apart, for paging (20 a page).
  const busy = await app.members.findByUsername("busy");
  const busyActor = busy && (await app.actors.findByMemberId(busy.id));
  if (!busyActor) throw new Error("busy has no actor");
  await app.database.db.insert(encounters).values(
    Array.from({ length: 23 }, (_, i) => {
      const id = randomUUID();
      return {
        id,
        iri: app.urls.encounter("busy", id).href,
        url: app.urls.encounterPage("busy", id).href,
        authorId: busyActor.id,
        isLocal: true,
        occurredOn: "2026-01-10",
        text: `PAGE-${String(i).padStart(2, "0")}`,
        keywords: ["paging"],
        visibility: "public" as const,
        publishedAt: new Date(Date.UTC(2026, 0, 10, 12, 0) - i * 60_000),
      };
    }),
  );
  return {
    pub,
    unlisted,
    followersOnly,
    participantsOnly,
    declined,
    deleted,
    deletedSecret,
    remoteId,
  };
}
