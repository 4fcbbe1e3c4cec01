import {
  createFederation,
  type Federation,
  generateCryptoKeyPair,
  type InboxListenerSetters,
  MemoryKvStore,
} from "@fedify/fedify";
import { Endpoints, Person } from "@fedify/vocab";

export interface TestFederationOptions {
  /** The one actor it serves, at `/users/{username}`. */
  username: string;
  /** The actor's display name; none by default. */
  name?: string;
  /** Where the actor says its inbox (and shared inbox) is, when it is not on this server. */
  inbox?: string;
}

export interface TestFederation {
  federation: Federation<void>;
  /** Where the listeners go: the actor's inbox and the shared inbox (`TEST_INBOX_PATHS`). */
  inbox: InboxListenerSetters<void>;
  /** The actor's RSA key pair (its `publicKey`), then its Ed25519 one (an assertion method). */
  keyPairs: Array<Awaited<ReturnType<typeof generateCryptoKeyPair>>>;
}

/** The inbox routes of a test federation, as the Fastify bridge's `inboxPaths` spells them. */
export const TEST_INBOX_PATHS = ["/users/:identifier/inbox", "/inbox"];

/**
 * The Fedify side of another fediverse server on loopback, serving one actor with its
 * own keys: what it sends is signed, and Fedify verifies the signature of what its
 * inboxes receive before any listener runs. Serve it with `registerFedifyBridge`.
 */
export async function createTestFederation(
  options: TestFederationOptions,
): Promise<TestFederation> {
  const { username } = options;
  const keyPairs = [
    await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
    await generateCryptoKeyPair("Ed25519"),
  ];
  const federation = createFederation<void>({
    kv: new MemoryKvStore(),
    firstKnock: "draft-cavage-http-signatures-12",
    allowPrivateAddress: true, // loopback test servers only
  });
  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== username) return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: options.name,
        inbox: options.inbox ? new URL(options.inbox) : ctx.getInboxUri(identifier),
        endpoints: new Endpoints({
          sharedInbox: options.inbox ? new URL(options.inbox) : ctx.getInboxUri(),
        }),
        publicKey: keys[0]?.cryptographicKey,
        assertionMethods: keys.map((key) => key.multikey),
      });
    })
    .setKeyPairsDispatcher((_ctx, identifier) => (identifier === username ? keyPairs : []));
  const inbox = federation.setInboxListeners("/users/{identifier}/inbox", "/inbox");
  return { federation, inbox, keyPairs };
}
