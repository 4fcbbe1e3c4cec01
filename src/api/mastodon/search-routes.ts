import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ANYONE, mayRead } from "../../encounters/visibility.ts";
import { createAccountFinder } from "../../federation/account-search.ts";
import { parseOrThrow } from "../../shared/validation.ts";
import type { MastodonDeps } from "./deps.ts";
import { formBoolean, needs, presenterFor, viewerOf } from "./http-support.ts";

const searchSchema = z.object({
  q: z
    .string({ error: "is required: what to search for" })
    .trim()
    .min(1, "is required: what to search for")
    .max(500),
  type: z.enum(["accounts", "statuses", "hashtags"]).optional(),
  resolve: formBoolean.optional(),
  limit: z.coerce.number().int().min(1).max(40).default(20),
});

/**
 * `GET /api/v2/search`: an account by handle or URL (looked up on its server with
 * `resolve=true`, as an app does before following), an encounter by its URL. There is no
 * full-text search: words find nothing.
 */
export function registerSearchRoutes(api: FastifyInstance, deps: MastodonDeps): void {
  const { services, urls } = deps;
  const actors = deps.repositories.actors;

  const finder = createAccountFinder({
    members: services.members,
    actors,
    urls,
    lookupActor: deps.lookupActor,
  });
  // An account that cannot be looked up is no result, as Mastodon answers.
  const findAccount = (q: string, resolve: boolean) =>
    finder(q, { resolve }).catch(() => undefined);

  /** Accounts whose username or name starts with the words typed (an app's @-autocomplete). */
  api.get("/api/v1/accounts/search", needs(deps, "read:accounts"), async (request) => {
    const query = parseOrThrow(searchSchema, request.query ?? {});
    const presenter = await presenterFor(deps, request);
    const exact = await findAccount(query.q, query.resolve === true);
    const prefix = query.q.replace(/^@/, "").split("@")[0]?.toLowerCase() ?? "";
    const members = prefix
      ? (await services.members.listDiscoverable(1000)).filter(
          (m) =>
            m.username.toLowerCase().startsWith(prefix) ||
            m.displayName.toLowerCase().startsWith(prefix),
        )
      : [];
    const found = exact ? [exact] : [];
    for (const member of members) {
      const actor = await actors.findByMemberId(member.id);
      if (actor && !found.some((a) => a.id === actor.id)) found.push(actor);
      if (found.length >= query.limit) break;
    }
    return Promise.all(found.map(presenter.account));
  });

  api.get("/api/v2/search", needs(deps, "read:search"), async (request) => {
    const query = parseOrThrow(searchSchema, request.query ?? {});
    const viewer = await viewerOf(deps, request);
    const presenter = await presenterFor(deps, request);
    const wants = (type: string) => query.type === undefined || query.type === type;
    const account = wants("accounts")
      ? await findAccount(query.q, query.resolve === true)
      : undefined;
    let statuses: unknown[] = [];
    if (wants("statuses") && /^https?:\/\//.test(query.q)) {
      const encounter = await deps.repositories.encounters.findByIri(query.q);
      const visible =
        encounter &&
        (viewer
          ? await services.access.mayActorRead(encounter, viewer.actor.iri)
          : mayRead(encounter, ANYONE));
      if (encounter && visible) statuses = [await presenter.status(encounter)];
    }
    return {
      accounts: account ? [await presenter.account(account)] : [],
      statuses,
      hashtags: [],
    };
  });
}
