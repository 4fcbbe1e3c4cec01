import { z } from "zod";

/*
 * Checks for values that come from outside (paths, query strings, bodies) before they
 * reach the database: PostgreSQL refuses a malformed uuid and a date outside its range
 * with an error, which would otherwise surface as a 500.
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
