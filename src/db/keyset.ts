import { type AnyColumn, type SQL, sql } from "drizzle-orm";
import { isStorableDate } from "../shared/input.ts";

/**
 * Keyset paging, the one rule every list follows: rows are ordered newest first by
 * (time, id) — the id breaks ties between rows of the same instant — and a page starts
 * strictly after the last row of the previous one. No OFFSET, no count: each page costs the
 * same from the first to the ten-thousandth, on the index (…, time, id) of its list.
 */
export interface Keyset {
  at: Date;
  /** Without an id (an old `?before=` link), every row of that instant is skipped. */
  id?: string;
}

/** Rows before `cursor` in the order (time desc, id desc); undefined without a cursor. */
export function olderThan(at: AnyColumn, id: AnyColumn, cursor?: Keyset): SQL | undefined {
  if (!cursor) return undefined;
  const time = cursor.at.toISOString();
  return cursor.id
    ? sql`(${at}, ${id}) < (${time}::timestamptz, ${cursor.id}::uuid)`
    : sql`${at} < ${time}::timestamptz`;
}

/** Rows after `cursor` (newer), the other direction. */
export function newerThan(at: AnyColumn, id: AnyColumn, cursor?: Keyset): SQL | undefined {
  if (!cursor) return undefined;
  const time = cursor.at.toISOString();
  return cursor.id
    ? sql`(${at}, ${id}) > (${time}::timestamptz, ${cursor.id}::uuid)`
    : sql`${at} > ${time}::timestamptz`;
}

/** The same order in JavaScript: negative when `a` comes first (is newer). */
export function newestFirst(a: Required<Keyset>, b: Required<Keyset>): number {
  return b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** A cursor as text for a link or an ActivityPub `next`: `<ISO time>_<id>`. */
export function encodeKeyset(cursor: Required<Keyset>): string {
  return `${cursor.at.toISOString()}_${cursor.id}`;
}

const ENCODED =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z)_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The cursor `encodeKeyset` made; undefined for anything else (a page with nothing on it). */
export function decodeKeyset(text: string): Required<Keyset> | undefined {
  const match = ENCODED.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  const at = new Date(match[1]);
  return isStorableDate(at) ? { at, id: match[2].toLowerCase() } : undefined;
}
