import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Member } from "../../../src/accounts/members-service.ts";
import type { ActorRow } from "../../../src/actors/actors-repository.ts";
import {
  accountEntity,
  credentialAccountEntity,
  NO_COUNTS,
} from "../../../src/api/mastodon/account.ts";
import { instanceV1, instanceV2 } from "../../../src/api/mastodon/instance.ts";
import { notificationEntity } from "../../../src/api/mastodon/notification.ts";
import type { Presenter } from "../../../src/api/mastodon/presenter.ts";
import { relationshipEntity } from "../../../src/api/mastodon/relationship.ts";
import { encounterStatus, NOT_SEEN, photoAttachment } from "../../../src/api/mastodon/status.ts";
import type { EncounterView } from "../../../src/encounters/encounters-repository.ts";
import { localUrls } from "../../../src/shared/local-urls.ts";

/** The Mastodon entity examples (../shared/fixtures/fediverse/api/, copied from Mastodon's docs). */
const example = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../fixtures/fediverse/api/${name}.json`, import.meta.url), "utf8"),
  ) as Record<string, unknown>;

/** Fields Mastodon documents as nullable: an example may hold a value where we have null, or the reverse. */
const NULLABLE = new Set([
  "last_status_at",
  "discoverable",
  "language",
  "text",
  "edited_at",
  "in_reply_to_id",
  "in_reply_to_account_id",
  "reblog",
  "quote",
  "poll",
  "card",
  "application",
  "url",
  "description",
  "blurhash",
]);

const kind = (value: unknown) =>
  value === null ? "null" : Array.isArray(value) ? "array" : typeof value;

/** Every key of the example is in ours, with the same JSON type (nested objects too). */
function expectSameShape(ours: unknown, theirs: unknown, path = "") {
  if (kind(theirs) !== "object") return;
  const o = ours as Record<string, unknown>;
  for (const [key, value] of Object.entries(theirs as Record<string, unknown>)) {
    const at = `${path}${key}`;
    expect(Object.hasOwn(o, key), `${at} is missing`).toBe(true);
    const [mine, expected] = [kind(o[key]), kind(value)];
    if (NULLABLE.has(key) && (mine === "null" || expected === "null")) continue;
    expect(mine, `${at} is a ${mine}, Mastodon's is a ${expected}`).toBe(expected);
    if (mine === "object") expectSameShape(o[key], value, `${at}.`);
  }
}

const urls = localUrls(new URL("https://social.example"));
const at = new Date("2026-03-14T09:26:53.589Z");

const member: Member = {
  id: "00000000-0000-4000-8000-000000000001",
  username: "bea",
  displayName: "Béa",
  bio: "Weak ties matter.\n\nhttps://example.org",
  passwordHash: "secret-hash",
  manuallyApprovesFollowers: false,
  discoverable: true,
  indexable: true,
  language: "fr",
  avatarUrl: null,
  avatarMediaKey: null,
  headerUrl: null,
  headerMediaKey: null,
  fields: [{ name: "Site", value: "https://example.org" }],
  profileUpdatedAt: null,
  autoCosignFromFollowed: false,
  role: "member",
  createdAt: at,
  email: null,
  emailVerifiedAt: null,
  deletedAt: null,
  alsoKnownAs: [],
  movedTo: null,
  movedAt: null,
  suspendedAt: null,
  suspensionReason: null,
  frozenAt: null,
  frozenReason: null,
};

const beaActor: ActorRow = {
  id: "00000000-0000-4000-8000-0000000000a1",
  iri: "https://social.example/users/bea",
  memberId: member.id,
  type: "Person",
  username: "bea",
  host: "social.example",
  name: "Béa",
  summary: "",
  url: "https://social.example/@bea",
  inboxUrl: "https://social.example/users/bea/inbox",
  sharedInboxUrl: "https://social.example/inbox",
  followersUrl: "https://social.example/users/bea/followers",
  avatarUrl: null,
  manuallyApprovesFollowers: false,
  fetchedAt: null,
  movedTo: null,
  suspendedAt: null,
  silencedAt: null,
  createdAt: at,
};

const antoineActor: ActorRow = {
  ...beaActor,
  id: "00000000-0000-4000-8000-0000000000b2",
  iri: "https://other.example/users/antoine",
  memberId: null,
  username: "antoine",
  host: "other.example",
  name: "Antoine",
  summary: '<p>Barbares <script>alert(1)</script><a href="https://other.example">site</a></p>',
  url: "https://other.example/@antoine",
  avatarUrl: "https://other.example/avatar.png",
};

const ctx = { origin: urls.origin };
const bea = accountEntity(
  {
    actor: beaActor,
    member,
    counts: { followers: 3, following: 2, statuses: 5, lastStatusAt: at },
  },
  ctx,
);
const antoine = accountEntity({ actor: antoineActor, member: null, counts: NO_COUNTS }, ctx);

const encounter: EncounterView = {
  id: "00000000-0000-4000-8000-0000000000e1",
  iri: "https://social.example/users/bea/encounters/00000000-0000-4000-8000-0000000000e1",
  url: "https://social.example/@bea/00000000-0000-4000-8000-0000000000e1",
  authorId: beaActor.id,
  isLocal: true,
  occurredOn: "2026-03-13",
  text: "Coffee with @antoine@other.example #BrightMirror",
  remoteContentHtml: null,
  keywords: ["BrightMirror"],
  visibility: "public",
  details: { howTheyAre: "Il va bien." },
  photo: {
    url: "https://social.example/media/photos/p.webp",
    key: "photos/p.webp",
    thumbnailUrl: "https://social.example/media/photos/p-small.webp",
    thumbnailKey: "photos/p-small.webp",
    mediaType: "image/webp",
    width: 1200,
    height: 800,
    blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    alt: "Antoine at the market",
  },
  inReplyTo: null,
  contentWarning: null,
  sensitive: false,
  likesCount: 2,
  announcesCount: 1,
  publishedAt: at,
  updatedAt: null,
  deletedAt: null,
  author: beaActor,
  participants: [
    {
      id: "00000000-0000-4000-8000-0000000000c1",
      encounterId: "00000000-0000-4000-8000-0000000000e1",
      position: 0,
      actorId: antoineActor.id,
      plainName: null,
      cosignState: "cosigned",
      cosignActivityIri: "https://other.example/announces/1",
      cosignedAt: at,
      hidden: false,
      actor: antoineActor,
    },
    {
      id: "00000000-0000-4000-8000-0000000000c2",
      encounterId: "00000000-0000-4000-8000-0000000000e1",
      position: 1,
      actorId: null,
      plainName: "Marie",
      cosignState: "pending",
      cosignActivityIri: null,
      cosignedAt: null,
      hidden: false,
      actor: null,
    },
  ],
};

const status = encounterStatus(encounter, {
  account: bea,
  contentHtml: "<p>Coffee</p>",
  viewer: NOT_SEEN,
  language: "fr",
  repliesCount: 1,
  mentioned: [antoine],
  urls,
});

describe("Mastodon entities: the exact JSON, key by key against Mastodon's examples", () => {
  it("Account", () => {
    expectSameShape(bea, example("mastodon-account-entity"));
    expectSameShape(antoine, example("mastodon-account-entity"));
    expect({ bea, antoine }).toMatchSnapshot();
    // A remote bio is sanitized; a missing header is the default image.
    expect(antoine.note).not.toContain("<script");
    expect(antoine.header).toBe("https://social.example/headers/original/missing.png");
  });

  it("CredentialAccount", () => {
    const credentials = credentialAccountEntity(
      { actor: beaActor, member, counts: NO_COUNTS },
      { followRequests: 1 },
      ctx,
    );
    expectSameShape(credentials, example("mastodon-credential-account"));
    expect(credentials).toMatchSnapshot();
    expect(JSON.stringify(credentials)).not.toContain("secret-hash");
  });

  it("Status (an encounter) and its MediaAttachment", () => {
    expectSameShape(status, example("mastodon-status-entity"));
    expect(status).toMatchSnapshot();
    expect(status.created_at).toBe("2026-03-14T09:26:53.589Z");
    expect(status.reblogs_count).toBe(2);
    const photo = encounter.photo as NonNullable<EncounterView["photo"]>;
    expect(photoAttachment("m1", { ...photo, alt: "" }).description).toBeNull();
  });

  it("Instance v1 and v2, Relationship", () => {
    const facts = {
      origin: urls.origin,
      title: "Socialdapres Lyon",
      description: "",
      registrationMode: "closed" as const,
      version: "0.1.0",
      users: 2,
      statuses: 7,
      contact: bea,
    };
    expect({ v1: instanceV1(facts), v2: instanceV2(facts) }).toMatchSnapshot();
    expect(
      relationshipEntity(
        antoine.id,
        { outgoing: "pending", incoming: "accepted" },
        { blocking: false, blockedBy: false, muting: false, domainBlocking: false },
      ),
    ).toMatchSnapshot();
  });

  it("Notification: named → mention, co-signed → reblog", async () => {
    const presenter = {
      account: async (actor: ActorRow) => (actor.id === beaActor.id ? bea : antoine),
      status: async () => status,
    } as unknown as Presenter;
    const named = await notificationEntity({ kind: "named", id: "n1", at, encounter }, presenter);
    const cosigned = await notificationEntity(
      { kind: "cosigned", id: "n2", at, encounter, cosigner: antoineActor },
      presenter,
    );
    expect(named).toMatchObject({ type: "mention", account: { acct: "bea" } });
    expect(cosigned).toMatchObject({ type: "reblog", account: { acct: "antoine@other.example" } });
    expect({
      named: { ...named, status: named.status.id },
      cosigned: cosigned.type,
    }).toMatchSnapshot();
  });
});
