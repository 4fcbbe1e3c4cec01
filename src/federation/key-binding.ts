import type { DocumentLoader, RemoteDocument } from "@fedify/fedify";
import { type Actor, Object as APObject, CryptographicKey, isActor, Multikey } from "@fedify/vocab";

/**
 * A key may speak only for the actor that lists it. Fedify 2.3.6 trusts the `owner` (or
 * `controller`) a key document claims, so a server could publish a key "owned" by someone
 * else's actor and sign activities in their name. Every document this instance loads passes
 * here first, so no key reaches signature checks (HTTP signatures, Linked Data signatures,
 * Object Integrity Proofs, signed fetches) unless:
 * - the document's id is on the origin it was served from (after redirects);
 * - a standalone key's owner is on the key's own origin (FEP-fe34's origin-based model), and
 *   the owner's own document, fetched from that origin, lists the key;
 * - a key embedded in an actor names that actor as its owner.
 */
export class KeyBindingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyBindingError";
  }
}

type KeyKind = "publicKey" | "assertionMethod";

export function bindKeysToOwners(
  load: DocumentLoader,
  contextLoader: DocumentLoader,
): DocumentLoader {
  // Parsing must never fetch: references stay references.
  const offline: DocumentLoader = (url) =>
    Promise.reject(new KeyBindingError(`not fetched while checking keys: ${url}`));
  const parseOptions = { documentLoader: offline, contextLoader };

  async function parse(document: unknown): Promise<APObject | CryptographicKey | Multikey | null> {
    for (const cls of [APObject, CryptographicKey, Multikey] as const) {
      try {
        return await cls.fromJsonLd(document, parseOptions);
      } catch (error) {
        // Fedify reads such a document the same way (object, then key): what none of these
        // classes reads carries no key Fedify would use.
        if (!(error instanceof TypeError)) throw error;
      }
    }
    return null;
  }

  async function assertEmbeddedKeysOwned(actor: Actor): Promise<void> {
    const read = { ...parseOptions, suppressError: true };
    for await (const key of actor.getPublicKeys(read)) {
      if (key.ownerId && key.ownerId.href !== actor.id?.href) {
        throw new KeyBindingError(`key ${key.id?.href} in ${actor.id?.href} claims another owner`);
      }
    }
    for await (const key of actor.getAssertionMethods(read)) {
      if (key.controllerId && key.controllerId.href !== actor.id?.href) {
        throw new KeyBindingError(
          `key ${key.id?.href} in ${actor.id?.href} claims another controller`,
        );
      }
    }
  }

  async function assertListedByOwner(keyId: URL, ownerId: URL | null, kind: KeyKind) {
    // Without an owner, Fedify asks the activity's actor whether it lists the key.
    if (!ownerId) return;
    if (ownerId.origin !== keyId.origin) {
      throw new KeyBindingError(`key ${keyId.href} claims an owner on another server`);
    }
    const ownerDocument = await load(ownerId.href);
    const owner = await parse(ownerDocument.document);
    if (
      !isActor(owner) ||
      owner.id?.href !== ownerId.href ||
      new URL(ownerDocument.documentUrl).origin !== ownerId.origin
    ) {
      throw new KeyBindingError(
        `the owner of key ${keyId.href} is not an actor at ${ownerId.href}`,
      );
    }
    await assertEmbeddedKeysOwned(owner);
    const listed = kind === "publicKey" ? owner.publicKeyIds : owner.assertionMethodIds;
    if (!listed.some((id) => id.href === keyId.href)) {
      throw new KeyBindingError(`${ownerId.href} does not list key ${keyId.href}`);
    }
  }

  return async (url, options) => {
    const loaded: RemoteDocument = await load(url, options);
    const servedFrom = new URL(loaded.documentUrl);
    const object = await parse(loaded.document);
    if (!object) return loaded;
    if (object.id && object.id.origin !== servedFrom.origin) {
      throw new KeyBindingError(`${servedFrom.href} served an object of ${object.id.origin}`);
    }
    if (object instanceof CryptographicKey) {
      await assertListedByOwner(object.id ?? servedFrom, object.ownerId, "publicKey");
    } else if (object instanceof Multikey) {
      await assertListedByOwner(object.id ?? servedFrom, object.controllerId, "assertionMethod");
    } else if (isActor(object)) {
      await assertEmbeddedKeysOwned(object);
    }
    return loaded;
  };
}
