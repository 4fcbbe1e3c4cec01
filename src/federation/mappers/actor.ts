import type { CryptographicKey, Multikey } from "@fedify/vocab";
import { Application, Endpoints, Image, Person } from "@fedify/vocab";
import type { Member } from "../../accounts/members-service.ts";
import { plainTextToHtml } from "../../shared/html.ts";
import { INSTANCE_ACTOR_IDENTIFIER, type LocalUrls } from "../../shared/local-urls.ts";
import { toInstant } from "./instant.ts";

export interface ActorKeys {
  /** The RSA key: the one `publicKey` every server understands. */
  rsa: CryptographicKey;
  /** Every key as a Multikey, Ed25519 included, for object integrity proofs. */
  multikeys: Multikey[];
}

/** A member as the ActivityPub `Person` Mastodon expects. Pure: same input, same JSON. */
export function memberToPerson(member: Member, urls: LocalUrls, keys: ActorKeys): Person {
  const username = member.username;
  return new Person({
    id: urls.actor(username),
    preferredUsername: username,
    name: member.displayName || username,
    summary: plainTextToHtml(member.bio),
    url: urls.profile(username),
    inbox: urls.inbox(username),
    outbox: urls.outbox(username),
    followers: urls.followers(username),
    following: urls.following(username),
    endpoints: new Endpoints({ sharedInbox: urls.sharedInbox() }),
    publicKey: keys.rsa,
    assertionMethods: keys.multikeys,
    manuallyApprovesFollowers: member.manuallyApprovesFollowers,
    discoverable: member.discoverable,
    indexable: member.indexable,
    published: toInstant(member.createdAt),
    icon: member.avatarUrl ? new Image({ url: new URL(member.avatarUrl) }) : null,
  });
}

/**
 * The instance's own actor: it signs the fetches the instance makes on its
 * own behalf (servers with authorized fetch refuse unsigned ones) and will
 * send the weekly question.
 */
export function instanceApplication(urls: LocalUrls, instanceName: string, keys: ActorKeys) {
  const id = INSTANCE_ACTOR_IDENTIFIER;
  return new Application({
    id: urls.actor(id),
    preferredUsername: id,
    name: instanceName,
    summary: "<p>The Socialdapres instance itself.</p>",
    url: urls.origin,
    inbox: urls.inbox(id),
    outbox: urls.outbox(id),
    followers: urls.followers(id),
    following: urls.following(id),
    endpoints: new Endpoints({ sharedInbox: urls.sharedInbox() }),
    publicKey: keys.rsa,
    assertionMethods: keys.multikeys,
    manuallyApprovesFollowers: true,
    discoverable: false,
    indexable: false,
  });
}
