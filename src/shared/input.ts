import { z } from "zod";
import { DomainError } from "./errors.ts";

/*
 * Checks for values that come from outside (paths, query strings, bodies) before they
 * reach the database: PostgreSQL refuses a malformed uuid, a NUL character in text and
 * a date outside its range with an error, which would otherwise surface as a 500.
 */

export const UUID_EXAMPLE = "0b7c6a3e-4f1d-4c2a-9e8b-2d5f6a7c8e90";

/** An id as the instance mints them and PostgreSQL's uuid type reads them: 8-4-4-4-12 hex digits. */
export const uuidSchema = z.guid({ error: `must be a UUID such as ${UUID_EXAMPLE}` });

export const isUuid = (value: string): boolean => uuidSchema.safeParse(value).success;

/** The `:id` parameter of a route. */
export const idParamsSchema = z.object({ id: uuidSchema });

const DATE_TIME_MESSAGE =
  "must be an ISO 8601 date-time with a time zone, such as 2025-05-01T12:00:00.000Z, between the years 0001 and 9999";

/** A date both JavaScript and PostgreSQL represent the same way: years 1 to 9999 (UTC). */
export function isStorableDate(date: Date): boolean {
  const year = date.getUTCFullYear();
  return !Number.isNaN(date.getTime()) && year >= 1 && year <= 9999;
}

/**
 * A date-time query parameter such as `?before=` (keyset paging): ISO 8601 with a time
 * zone, between the years 1 and 9999 (what PostgreSQL reads back as the same instant),
 * parsed into a Date. Its messages follow the parameter's name.
 */
export const dateTimeParam = z.iso
  .datetime({ offset: true, error: DATE_TIME_MESSAGE })
  .transform((value) => new Date(value))
  .refine(isStorableDate, { error: DATE_TIME_MESSAGE });

/**
 * Where the first NUL character (U+0000) is in a value — a string, or the keys and strings
 * of nested objects and arrays: "" for the value itself, "details.emotion", "participants.0".
 * undefined when there is none. PostgreSQL cannot store NUL in text.
 */
export function findNul(value: unknown): string | undefined {
  // Depth first with a stack of its own, and paths built only for a find: a body nested
  // 100,000 deep must neither overflow the call stack nor build a path at every level.
  type Step = { key: string; parent: Step | undefined } | undefined;
  const pathOf = (step: Step) => {
    const keys: string[] = [];
    for (let s = step; s; s = s.parent) keys.unshift(s.key.replaceAll("\0", "\\0"));
    const path = keys.join(".");
    return path.length > 200 ? `${path.slice(0, 200)}…` : path;
  };
  const pending: Array<[unknown, Step]> = [[value, undefined]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, step] = next;
    if (typeof item === "string") {
      if (item.includes("\0")) return pathOf(step);
      continue;
    }
    if (typeof item !== "object" || item === null || Buffer.isBuffer(item)) continue;
    const entries = Object.entries(item);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [string, unknown];
      const childStep = { key, parent: step };
      if (key.includes("\0")) return pathOf(childStep);
      pending.push([child, childStep]);
    }
  }
  return undefined;
}

/** Says where a NUL was found, and how to fix it. */
export const nulMessage = (path: string): string =>
  `${path ? `${path} contains` : "The body contains"} a NUL character (U+0000), which cannot be stored: remove it.`;

/** Throws the 422 of `nulMessage` when the value holds a NUL anywhere. */
export function refuseNul(value: unknown): void {
  const path = findNul(value);
  if (path !== undefined) throw new DomainError("invalid", nulMessage(path));
}
