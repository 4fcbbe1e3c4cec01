import type { CryptographicKey, Multikey } from "@fedify/vocab";
import { Application, Endpoints, Image, Person, PropertyValue, Tombstone } from "@fedify/vocab";
import type { Member } from "../../accounts/members-service.ts";
import type { PioneerRank } from "../../accounts/pioneers.ts";
import { contentTypeOfKey } from "../../media/media-storage.ts";
import { escapeHtml, profileFieldValueHtml, profileTextToHtml } from "../../shared/html.ts";
import {
  INSTANCE_ACTOR_IDENTIFIER,
  INSTANCE_AVATAR_PATH,
  type LocalUrls,
} from "../../shared/local-urls.ts";
import { toInstant } from "./instant.ts";
import { TootPerson } from "./toot-terms.ts";

export interface ActorKeys {
  /** The RSA key: the one `publicKey` every server understands. */
  rsa: CryptographicKey;
  /** Every key as a Multikey, Ed25519 included, for object integrity proofs. */
  multikeys: Multikey[];
}

/** An avatar or header as an `Image`, with the type its file is served with. */
function imageOf(url: string | null): Image | null {
  if (!url) return null;
  const parsed = URL.parse(url);
  if (!parsed) return null;
  return new Image({ url: parsed, mediaType: contentTypeOfKey(parsed.pathname) ?? null });
}

/** The pioneer mark as a profile field, in the member's language: Mastodon shows it as a row. */
const PIONEER_FIELD = {
  fr: { name: "Pionnier·e", value: "n° {rank} sur {of}" },
  en: { name: "Pioneer", value: "No. {rank} of {of}" },
} as const;

export function pioneerField(language: string, pioneer: PioneerRank): PropertyValue {
  const words = language === "en" ? PIONEER_FIELD.en : PIONEER_FIELD.fr;
  return new PropertyValue({
    name: words.name,
    value: words.value.replace("{rank}", String(pioneer.rank)).replace("{of}", String(pioneer.of)),
  });
}

/**
 * A member as the ActivityPub `Person` Mastodon expects. Pure: same input, same JSON.
 * The bio is `summary` (escaped HTML paragraphs, URLs as links), the avatar `icon`, the
 * header `image`, and each profile field a `PropertyValue` in `attachment` whose value is
 * HTML (a link when it is a URL), as Mastodon writes and reads them. One of the first
 * members (`pioneer`) has one more field after theirs: « Pionnier·e » → « n° 12 sur 100 ».
 */
/** What a deleted member's actor id serves (410 Gone): a Tombstone that was a Person. */
export function deletedMemberTombstone(id: URL, deletedAt: Date): Tombstone {
  return new Tombstone({ id, formerType: Person, deleted: toInstant(deletedAt) });
}

export function memberToPerson(
  member: Member,
  urls: LocalUrls,
  keys: ActorKeys,
  pioneer?: PioneerRank,
): Person {
  const username = member.username;
  return new TootPerson({
    id: urls.actor(username),
    preferredUsername: username,
    name: member.displayName || username,
    summary: profileTextToHtml(member.bio),
    url: urls.profile(username),
    inbox: urls.inbox(username),
    outbox: urls.outbox(username),
    followers: urls.followers(username),
    following: urls.following(username),
    // The OAuth endpoints let an ActivityPub C2S client log the member in.
    endpoints: new Endpoints({
      sharedInbox: urls.sharedInbox(),
      oauthAuthorizationEndpoint: urls.oauth("authorize"),
      oauthTokenEndpoint: urls.oauth("token"),
    }),
    publicKey: keys.rsa,
    assertionMethods: keys.multikeys,
    manuallyApprovesFollowers: member.manuallyApprovesFollowers,
    discoverable: member.discoverable,
    indexable: member.indexable,
    published: toInstant(member.createdAt),
    icon: imageOf(member.avatarUrl),
    image: imageOf(member.headerUrl),
    // Move in: the accounts that may move here; move out: where the member went.
    aliases: member.alsoKnownAs.flatMap((iri) => URL.parse(iri) ?? []),
    successor: member.movedTo ? URL.parse(member.movedTo) : null,
    attachments: [
      ...member.fields.map(
        (field) =>
          new PropertyValue({ name: field.name, value: profileFieldValueHtml(field.value) }),
      ),
      ...(pioneer ? [pioneerField(member.language, pioneer)] : []),
    ],
  });
}

/** The instance actor's bio, in the instance's language: what it sends and why to follow it. */
const INSTANCE_BIO = {
  fr: "Le compte de l’instance {name}. Il n’écrit qu’en message privé : la question de la semaine aux membres qui y ont relié leur compte, et ses réponses à leurs réponses. Abonne-toi à ce compte pour voir ses messages dans tes notifications.",
  en: "The account of the {name} instance. It writes only private messages: the weekly question to the members who linked their account to it, and its answers to their answers. Follow it to see its messages in your notifications.",
} as const;

/**
 * The instance's own actor: it signs the fetches the instance makes on its
 * own behalf (servers with authorized fetch refuse unsigned ones) and will
 * send the weekly question.
 */
export function instanceApplication(
  urls: LocalUrls,
  instanceName: string,
  keys: ActorKeys,
  language: "fr" | "en" = "fr",
) {
  const id = INSTANCE_ACTOR_IDENTIFIER;
  const bio = INSTANCE_BIO[language];
  return new Application({
    id: urls.actor(id),
    preferredUsername: id,
    name: instanceName,
    summary: `<p>${escapeHtml(bio.replaceAll("{name}", instanceName))}</p>`,
    icon: new Image({
      url: new URL(INSTANCE_AVATAR_PATH, urls.origin),
      mediaType: "image/png",
    }),
    url: urls.origin,
    inbox: urls.inbox(id),
    outbox: urls.outbox(id),
    followers: urls.followers(id),
    following: urls.following(id),
    endpoints: new Endpoints({ sharedInbox: urls.sharedInbox() }),
    publicKey: keys.rsa,
    assertionMethods: keys.multikeys,
    // Every follow is accepted: a follower sees its direct messages whatever its filters.
    manuallyApprovesFollowers: false,
    discoverable: false,
    indexable: false,
  });
}
