import type { DocumentLoader } from "@fedify/fedify";
import { type Actor, getTypeId, isActor } from "@fedify/vocab";
import type { RemoteActorRecord } from "../actors/actors-repository.ts";
import type { Egress } from "../egress/egress.ts";
import { DomainError } from "../shared/errors.ts";
import { INSTANCE_ACTOR_IDENTIFIER, type LocalUrls } from "../shared/local-urls.ts";
import type { AppFederation } from "./app-federation.ts";
import { ActorLookupError, explainFetchFailure, webFingerUrl } from "./lookup-failures.ts";
import { actorToRecord } from "./mappers/remote-actor.ts";
import { createRemoteInteraction, type RemoteInteraction } from "./remote-interaction.ts";

export { ActorLookupError } from "./lookup-failures.ts";

export interface RemoteLookup {
  /**
   * Finds an actor from `@user@host`, `acct:` or an actor URL, fetching with the
   * instance actor's signature (servers in authorized-fetch mode require one).
   * Fedify resolves handles over https only; plain-http instances need a URL.
   * Throws `ActorLookupError` saying why when there is no actor to be had.
   */
  lookupActor(query: string): Promise<RemoteActorRecord>;
  /** What we keep of an actor received or fetched; refused if we could never deliver to it. */
  readActor(
    actor: Actor,
    options?: { documentLoader?: DocumentLoader },
  ): Promise<RemoteActorRecord>;
  /** Remote follow: the page of the visitor's own server to act on `uri` (remote-interaction.ts). */
  interactionUrl: RemoteInteraction["interactionUrl"];
}

export function createRemoteLookup(deps: {
  federation: AppFederation;
  urls: LocalUrls;
  egress: Egress;
  /** Local multi-instance trials: WebFinger of visitors' servers over plain http too. */
  allowPlainHttp?: boolean;
}): RemoteLookup {
  const { federation, urls, egress } = deps;
  const interaction = createRemoteInteraction({
    fetch: (url, init) => egress.fetch(url, init),
    allowPlainHttp: deps.allowPlainHttp ?? false,
    userAgent: `Socialdapres (+${urls.origin.origin})`,
  });

  async function readActor(actor: Actor, options: { documentLoader?: DocumentLoader } = {}) {
    const record = await actorToRecord(actor, options);
    // An inbox on a private address would make us post signed requests into the operator's
    // network: such an actor is never stored (deliveries are refused at connection time too).
    for (const inbox of [record.inboxUrl, record.sharedInboxUrl]) {
      if (!inbox) continue;
      await egress.check(inbox).catch((error: Error) => {
        throw new ActorLookupError(
          record.iri,
          "private_address",
          `its inbox cannot be reached: ${error.message}`,
        );
      });
    }
    return record;
  }

  return {
    readActor,
    interactionUrl: (handle, uri) => interaction.interactionUrl(handle, uri),
    async lookupActor(query) {
      const trimmed = query.trim();
      if (!/^(@?[^@\s]+@[^@\s]+|acct:\S+|https?:\/\/\S+)$/.test(trimmed)) {
        throw new DomainError(
          "invalid",
          `"${query}" is neither a handle (@user@host) nor an actor URL (https://host/users/name).`,
        );
      }
      const ctx = federation.createContext(urls.origin, undefined);
      const documentLoader = await ctx.getDocumentLoader({
        identifier: INSTANCE_ACTOR_IDENTIFIER,
      });
      // Fedify's lookup answers null whatever went wrong: keep the loader's errors to say why.
      const failures: Array<{ url?: string; error: unknown }> = [];
      const recording: DocumentLoader = async (url, options) => {
        try {
          return await documentLoader(url, options);
        } catch (error) {
          failures.push({ url, error });
          throw error;
        }
      };
      // WebFinger goes through Fedify's own fetch: keep it inside the egress policy.
      const object = await egress
        .run(() => ctx.lookupObject(trimmed, { documentLoader: recording }))
        .catch((error) => {
          failures.push({ error });
          return null;
        });
      if (isActor(object)) return readActor(object, { documentLoader });
      // Fedify asks a handle's WebFinger over https only; local trials between instances on
      // plain http (FEDERATION_ALLOW_PRIVATE_ADDRESS) are asked over http too.
      if (!object && deps.allowPlainHttp && !/^https?:/.test(trimmed)) {
        const iri = await interaction.actorIri(trimmed.replace(/^acct:/, ""));
        const found = iri
          ? await egress
              .run(() => ctx.lookupObject(iri, { documentLoader: recording }))
              .catch(() => null)
          : null;
        if (isActor(found)) return readActor(found, { documentLoader });
      }
      if (object) {
        const type = getTypeId(object).href.replace(/^.*[#/]/, "");
        throw new ActorLookupError(query, "not_an_actor", `it is a ${type}, not an account`);
      }
      if (failures.length === 0 && !/^https?:/.test(trimmed)) {
        // The handle's WebFinger lookup failed inside Fedify, which keeps no reason: ask again.
        await recording(webFingerUrl(trimmed)).catch(() => {});
      }
      const first = failures[0];
      const why = first ? explainFetchFailure(first.error, first.url) : undefined;
      throw new ActorLookupError(
        query,
        why?.reason ?? "not_found",
        why?.explanation ?? "nothing answers to that address",
      );
    },
  };
}
