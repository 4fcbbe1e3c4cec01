import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { MemberAndActor, MembersService } from "../accounts/members-service.ts";
import { decodeKeyset, encodeKeyset, type Keyset } from "../db/keyset.ts";
import { type EncounterView, encounterKey } from "../encounters/encounters-repository.ts";
import { dateTimeParam } from "../shared/input.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

export const PAGE_SIZE = 20;

/**
 * `?before=`: the key our "older" links carry (`<ISO time>_<id>`, src/db/keyset.ts), or a bare
 * ISO date (older links, typed by hand).
 */
const beforeParam = z.string().transform((text, ctx): Keyset => {
  const key = decodeKeyset(text);
  if (key) return key;
  const date = dateTimeParam.safeParse(text);
  if (date.success) return { at: date.data };
  ctx.addIssue({ code: "custom", message: "must be a page key or an ISO 8601 date" });
  return z.NEVER;
});
const pagingQuery = z.object({ before: beforeParam.optional() });

/** `?before=`: a key, undefined for the first page, or null when malformed or out of range. */
export function parseBefore(query: unknown): Keyset | undefined | null {
  const parsed = pagingQuery.safeParse(query ?? {});
  return parsed.success ? parsed.data.before : null;
}

/**
 * Lists are fetched with one row more than a page: its presence says there are
 * older ones, and the last shown row's key is where the next page starts.
 */
export function onePage(views: EncounterView[], path: string) {
  const items = views.slice(0, PAGE_SIZE);
  const last = items.at(-1);
  const olderHref =
    views.length > PAGE_SIZE && last
      ? `${path}?before=${encodeURIComponent(encodeKeyset(encounterKey(last)))}`
      : undefined;
  return { items, olderHref };
}

/** The 400 page of a malformed `?before=`. */
export const sendBadBefore = (web: WebKit, reply: FastifyReply, context: PageContext) =>
  web.sendMessage(reply, context, { status: 400, title: "badRequest", text: "badBefore" });

/**
 * What a logged-in member's paged list needs: the member and their actor, the page context
 * and `?before=`. Undefined once an answer was sent: the log-in form, or a 400.
 */
export async function memberListRequest(
  web: WebKit,
  members: Pick<MembersService, "findWithActor">,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<(MemberAndActor & { context: PageContext; before: Keyset | undefined }) | undefined> {
  const member = await web.requireMember(request, reply);
  if (!member) return undefined;
  const context = await web.context(request, reply);
  const before = parseBefore(request.query);
  if (before === null) {
    sendBadBefore(web, reply, context);
    return undefined;
  }
  const found = await members.findWithActor(member.username);
  if (!found) throw new Error(`the member ${member.username} has no actor`);
  return { ...found, context, before };
}
