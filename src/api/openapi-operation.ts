import type { z } from "zod";

/*
 * What every route file needs to describe its operations in the OpenAPI document
 * (assembled by src/api/openapi.ts), kept apart so route files never import the assembler.
 */

export type Json = Record<string, unknown>;

export interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  query?: z.ZodObject;
  body?: Json;
  responses: Json;
}

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const jsonContent = (name: string) => ({ "application/json": { schema: ref(name) } });
export const error = (description: string) => ({ description, content: jsonContent("Error") });
