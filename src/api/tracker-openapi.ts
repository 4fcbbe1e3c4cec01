import type { z } from "zod";
import { privateFieldsInputSchema } from "../exposure/private-input.ts";
import { error, jsonContent, type Operation, ref } from "./openapi-operation.ts";
import {
  exportQuerySchema,
  privateFieldsJsonSchema,
  trackerDeletionJsonSchema,
} from "./tracker-routes.ts";

/* The private tracker's operations in the OpenAPI document (src/api/openapi.ts). */

const notYours = error("No encounter of yours with this id (another member's is a 404 too)");

export const TRACKER_OPERATIONS: Operation[] = [
  {
    method: "get",
    path: "/encounters/{id}/private",
    summary: "The private fields of your encounter and the circle of each participant",
    responses: {
      200: { description: "Its private side", content: jsonContent("PrivateFields") },
      404: notYours,
    },
  },
  {
    method: "put",
    path: "/encounters/{id}/private",
    summary:
      "Set or complete the private fields of your encounter: fields left out keep their value, null clears one; circles name a participant by position or participantId. Never published",
    body: jsonContent("PrivateFieldsInput"),
    responses: {
      200: { description: "Its private side", content: jsonContent("PrivateFields") },
      404: notYours,
      422: error("A value is out of range or unknown; the message names it. Nothing is stored"),
    },
  },
  {
    method: "delete",
    path: "/encounters/{id}/private",
    summary: "Forget the private fields and circles of your encounter (the encounter stays)",
    responses: { 204: { description: "Forgotten" }, 404: notYours },
  },
  {
    method: "get",
    path: "/tracker/export",
    summary: "Download all your tracker data: JSON, or CSV (a header row, one line per encounter)",
    query: exportQuerySchema,
    responses: {
      200: {
        description: "Your tracker data, as an attachment",
        content: {
          "application/json": { schema: ref("TrackerExport") },
          "text/csv": { schema: { type: "string" } },
        },
      },
      422: error("Unknown format"),
    },
  },
  {
    method: "delete",
    path: "/tracker",
    summary:
      "Delete all your tracker data: private fields, circles, check-ins, weekly questions, settings (back to the defaults) and your private-only encounters. Published encounters stay",
    responses: {
      200: { description: "What was deleted", content: jsonContent("TrackerDeletion") },
    },
  },
];

export function TRACKER_SCHEMAS(schemaOf: (schema: z.ZodType, io: "input" | "output") => object) {
  return {
    PrivateFieldsInput: schemaOf(privateFieldsInputSchema, "input"),
    PrivateFields: schemaOf(privateFieldsJsonSchema, "output"),
    TrackerDeletion: schemaOf(trackerDeletionJsonSchema, "output"),
    TrackerExport: {
      type: "object",
      description:
        "username, exportedAt, settings (null: the defaults), encounters (each with `private` and its participants' circles), checkins, questions",
    },
  };
}
