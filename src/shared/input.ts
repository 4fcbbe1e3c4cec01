import { z } from "zod";

/*
 * Checks for values that come from outside (paths, query strings, bodies) before they
 * reach the database: PostgreSQL refuses a malformed uuid with an error, which would
 * otherwise surface as a 500.
 */

export const UUID_EXAMPLE = "0b7c6a3e-4f1d-4c2a-9e8b-2d5f6a7c8e90";

/** An id as the instance mints them and PostgreSQL's uuid type reads them: 8-4-4-4-12 hex digits. */
export const uuidSchema = z.guid({ error: `must be a UUID such as ${UUID_EXAMPLE}` });

export const isUuid = (value: string): boolean => uuidSchema.safeParse(value).success;

/** The `:id` parameter of a route. */
export const idParamsSchema = z.object({ id: uuidSchema });
