import type { FastifyReply, FastifyRequest, RouteShorthandOptions } from "fastify";
import { z } from "zod";
import { DomainError } from "../../shared/errors.ts";
import { isUuid } from "../../shared/input.ts";
import type { MastodonDeps } from "./deps.ts";
import { createPresenter, type Presenter, type Viewer } from "./presenter.ts";

/** The hooks of a route that needs a token with `scope` (403 naming it otherwise). */
export function needs(deps: MastodonDeps, scope: string): RouteShorthandOptions {
  return { onRequest: deps.auth.hook, preHandler: deps.auth.requireScope(scope) };
}

/**
 * The hooks of a public route that reads more when a token comes with it. An app-only token
 * (`client_credentials`, which browser apps send before log-in) reads it as anyone does.
 */
export function mayAuthenticate(deps: MastodonDeps): RouteShorthandOptions {
  return {
    onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.headers.authorization !== undefined) return deps.auth.appHook(request, reply);
    },
  };
}

/** The member who asks, with their actor; null for a request without a member's token. */
export async function viewerOf(deps: MastodonDeps, request: FastifyRequest): Promise<Viewer> {
  if (request.headers.authorization === undefined) return null;
  const member = deps.auth.grantOf(request).member;
  if (!member) return null;
  const found = await deps.services.members.findWithActor(member.username);
  if (!found) throw new DomainError("unauthorized", "The member of this token is gone.");
  return found;
}

/** The viewer, who must be there (behind `needs`). */
export async function memberViewer(deps: MastodonDeps, request: FastifyRequest) {
  const viewer = await viewerOf(deps, request);
  if (!viewer) throw new DomainError("unauthorized", "This needs an access token.");
  return viewer;
}

export async function presenterFor(
  deps: MastodonDeps,
  request: FastifyRequest,
): Promise<Presenter> {
  return createPresenter(deps, await viewerOf(deps, request));
}

/** An `:id` that is not one of ours is a 404, as Mastodon answers for an unknown record. */
export function idOf(request: FastifyRequest, what: string): string {
  const id = (request.params as { id?: unknown }).id;
  if (typeof id !== "string" || !isUuid(id)) {
    throw new DomainError("not_found", `Record not found: no ${what} ${JSON.stringify(id)}.`);
  }
  return id;
}

/** `types[]=a&types[]=b`, `types=a` or `types[0]=a`: one list, whatever the app sent. */
export function listParam(query: unknown, name: string): string[] {
  const q = (query ?? {}) as Record<string, unknown>;
  const values = [q[name], q[`${name}[]`]].flat().filter((v) => v !== undefined);
  return values.flatMap((v) =>
    typeof v === "string" ? [v] : Array.isArray(v) ? v.map(String) : [],
  );
}

/** Forms send booleans as text: Mastodon reads "true", "1", "on" as true. */
export const formBoolean = z.preprocess(
  (v) => (typeof v === "string" ? ["true", "1", "on"].includes(v.toLowerCase()) : v),
  z.boolean({ error: "must be true or false" }),
);

/** Mastodon's page parameters; its ids are our UUIDs. */
export const pageQuerySchema = z.object({
  max_id: z.string().optional(),
  since_id: z.string().optional(),
  min_id: z.string().optional(),
  limit: z.coerce
    .number({ error: "must be a number from 1 to 40" })
    .int("must be a whole number from 1 to 40")
    .min(1, "must be from 1 to 40")
    .max(40, "must be from 1 to 40")
    .default(20),
});
export type PageQuery = z.output<typeof pageQuerySchema>;

/**
 * Mastodon's `Link` header: `next` pages to older items (`max_id` = the last one), `prev` to
 * newer ones (`min_id` = the first one). None when the page is empty.
 */
export function setLinkHeader(
  reply: FastifyReply,
  request: FastifyRequest,
  origin: URL,
  items: readonly { id: string }[],
  limit: number,
): void {
  setPageLinks(reply, request, origin, {
    first: items[0]?.id,
    last: items.at(-1)?.id,
    more: items.length >= limit,
  });
}

/**
 * The same header from the ids that page (they need not be the items' ids: a list of accounts
 * pages by its follows' ids, as Mastodon's does): `next` only when `more`.
 */
export function setPageLinks(
  reply: FastifyReply,
  request: FastifyRequest,
  origin: URL,
  page: { first: string | undefined; last: string | undefined; more: boolean },
): void {
  const { first, last } = page;
  if (!first || !last) return;
  const base = new URL(request.url, origin);
  const link = (param: "max_id" | "min_id", id: string) => {
    const url = new URL(base);
    for (const p of ["max_id", "since_id", "min_id"]) url.searchParams.delete(p);
    url.searchParams.set(param, id);
    return url.href;
  };
  const parts = [`<${link("min_id", first)}>; rel="prev"`];
  if (page.more) parts.unshift(`<${link("max_id", last)}>; rel="next"`);
  reply.header("Link", parts.join(", "));
}
