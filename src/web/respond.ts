import { z } from "zod";
import type { EncounterView } from "../encounters/encounters-repository.ts";
import { dateTimeParam } from "../shared/input.ts";

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
