import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ReceivedActivities, ReceivedActivity } from "../encounters/received-activities.ts";
import { DomainError } from "../shared/errors.ts";
import { dateTimeParam } from "../shared/input.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import type { BearerAuth } from "./auth.ts";

/*
 * `GET /users/<name>/inbox` for ActivityPub C2S clients: the member's received activities
 * (src/encounters/received-activities.ts) as an OrderedCollection, paged by date, newest
 * first. Only the member, with a token granted `read`; everyone else gets 401 or 403.
 * Fedify has no inbox dispatcher, so its GET falls through to this route.
 */

export interface C2sInboxDeps {
  auth: BearerAuth;
  urls: LocalUrls;
  received: ReceivedActivities;
}

export const INBOX_PAGE_SIZE = 20;
const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const AS_TYPE = "application/activity+json; charset=utf-8";

const inboxQuery = z.object({
  page: z.enum(["true"]).optional(),
  before: dateTimeParam.optional(),
});

const itemJson = (item: ReceivedActivity) => ({
  ...(item.id ? { id: item.id } : {}),
  type: item.type,
  actor: item.actor,
  object: item.object,
  published: item.published.toISOString(),
});

export async function registerC2sInbox(app: FastifyInstance, deps: C2sInboxDeps) {
  const { auth, urls, received } = deps;
  await app.register(async (inbox) => {
    inbox.addHook("onRequest", auth.hook);
    inbox.addHook("preHandler", auth.requireScope("read"));
    inbox.get("/users/:identifier/inbox", async (request, reply) => {
      const member = auth.memberOf(request);
      const { identifier } = request.params as { identifier: string };
      if (identifier.toLowerCase() !== member.username.toLowerCase()) {
        return reply.status(403).send({
          error: `This inbox is not yours: read your own at ${urls.inbox(member.username).href}.`,
        });
      }
      const parsed = inboxQuery.safeParse(request.query ?? {});
      if (!parsed.success) {
        throw new DomainError(
          "invalid",
          "Page with ?page=true, then ?page=true&before=<an ISO 8601 date from the last page>.",
        );
      }
      const id = urls.inbox(member.username).href;
      reply.header("content-type", AS_TYPE).header("cache-control", "private, no-store");
      reply.header("vary", "Authorization");
      if (!parsed.data.page) {
        return {
          "@context": AS_CONTEXT,
          id,
          type: "OrderedCollection",
          first: `${id}?page=true`,
        };
      }
      const before = parsed.data.before;
      const items = await received.list(member.id, { limit: INBOX_PAGE_SIZE + 1, before });
      const shown = items.slice(0, INBOX_PAGE_SIZE);
      const last = shown.at(-1);
      const pageId = before
        ? `${id}?page=true&before=${encodeURIComponent(before.toISOString())}`
        : `${id}?page=true`;
      return {
        "@context": AS_CONTEXT,
        id: pageId,
        type: "OrderedCollectionPage",
        partOf: id,
        orderedItems: shown.map(itemJson),
        ...(items.length > INBOX_PAGE_SIZE && last
          ? { next: `${id}?page=true&before=${encodeURIComponent(last.published.toISOString())}` }
          : {}),
      };
    });
  });
}
