import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { EncounterView } from "../encounters/encounters-repository.ts";
import { escapeHtml } from "../shared/html.ts";
import { dateTimeParam } from "../shared/input.ts";
import { type Language, type MessageKey, pickLanguage, translate } from "./i18n.ts";
import { layout } from "./layout.ts";

export const requestLanguage = (request: FastifyRequest): Language =>
  pickLanguage(request.headers["accept-language"]);

export interface Page {
  lang: Language;
  title: string;
  /** Escaped HTML. */
  body: string;
  head?: string;
  status?: number;
}

/** Sends a full HTML page; the language and the Accept header both change the answer. */
export function sendPage(reply: FastifyReply, instanceName: string, page: Page): FastifyReply {
  return reply
    .status(page.status ?? 200)
    .header("content-language", page.lang)
    .header("vary", "Accept, Accept-Language")
    .type("text/html; charset=utf-8")
    .send(layout({ ...page, instanceName }));
}

/** A short page that says what went wrong (404, 410, 400) and links home. */
export function sendMessagePage(
  reply: FastifyReply,
  instanceName: string,
  page: { lang: Language; status: number; title: MessageKey; text: MessageKey },
): FastifyReply {
  const title = translate(page.lang, page.title);
  const body = `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(translate(page.lang, page.text))}</p>
<p><a href="/">${escapeHtml(translate(page.lang, "backHome"))}</a></p>`;
  return sendPage(reply, instanceName, { lang: page.lang, title, body, status: page.status });
}

export const PAGE_SIZE = 20;

const pagingQuery = z.object({ before: dateTimeParam.optional() });

/** `?before=<ISO date>`: a Date, undefined for the first page, or null when malformed or out of range. */
export function parseBefore(query: unknown): Date | undefined | null {
  const parsed = pagingQuery.safeParse(query ?? {});
  return parsed.success ? parsed.data.before : null;
}

/**
 * Lists are fetched with one row more than a page: its presence says there are
 * older ones, and the last shown row's date is where the next page starts.
 */
export function onePage(views: EncounterView[], path: string) {
  const items = views.slice(0, PAGE_SIZE);
  const last = items.at(-1);
  const olderHref =
    views.length > PAGE_SIZE && last
      ? `${path}?before=${encodeURIComponent(last.publishedAt.toISOString())}`
      : undefined;
  return { items, olderHref };
}
