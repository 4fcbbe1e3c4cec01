import type { z } from "zod";
import { error, jsonContent, type Operation } from "./openapi-operation.ts";
import {
  checkinBodySchema,
  checkinHistoryQuerySchema,
  linkBodySchema,
  trackerSettingsPatchSchema,
} from "./tracker-settings-routes.ts";

/* Tracker settings, check-ins and the linked account in the OpenAPI document (src/api/openapi.ts). */

export const WEEKLY_QUESTION_OPERATIONS: Operation[] = [
  {
    method: "get",
    path: "/tracker/settings",
    summary:
      "Your band, pandemic mode and weekly question settings (the defaults until you change them)",
    responses: { 200: { description: "The settings", content: jsonContent("TrackerSettings") } },
  },
  {
    method: "patch",
    path: "/tracker/settings",
    summary: "Change tracker settings; fields left out keep their value",
    body: jsonContent("TrackerSettingsPatch"),
    responses: {
      200: { description: "The settings", content: jsonContent("TrackerSettings") },
      422: error("A value out of range, an unknown field or a wrong time zone; nothing stored"),
    },
  },
  {
    method: "post",
    path: "/tracker/checkins",
    summary: "Answer the weekly question (replaces that week's answer)",
    body: jsonContent("CheckinInput"),
    responses: {
      201: { description: "The check-in", content: jsonContent("Checkin") },
      422: error("Invalid answer, count or week"),
    },
  },
  {
    method: "get",
    path: "/tracker/checkins",
    summary: "Your check-ins, newest week first",
    query: checkinHistoryQuerySchema,
    responses: {
      200: { description: "{ items: Checkin[] }", content: jsonContent("CheckinList") },
    },
  },
  {
    method: "post",
    path: "/tracker/link",
    summary:
      "Link your main fediverse account: it receives ONE direct message asking it to reply « oui » / yes",
    body: jsonContent("LinkInput"),
    responses: {
      202: { description: "{ linkedAccountIri, confirmed: false }" },
      404: error("No account found there"),
      422: error("Not a handle or an actor URL, or an account of this instance"),
    },
  },
  {
    method: "delete",
    path: "/tracker/link",
    summary: "Unlink your main fediverse account",
    responses: { 204: { description: "Unlinked" } },
  },
  {
    method: "post",
    path: "/tracker/question",
    summary:
      "Ask me the weekly question again: in the app and on my confirmed linked account, at most once an hour",
    responses: {
      202: { description: "Sent again", content: jsonContent("QuestionAskedAgain") },
      429: error("Sent less than an hour ago; Retry-After says when to ask again"),
    },
  },
];

export function WEEKLY_QUESTION_SCHEMAS(
  schemaOf: (schema: z.ZodType, io: "input" | "output") => object,
) {
  const checkin = {
    type: "object",
    properties: {
      weekStart: { type: "string", format: "date" },
      answer: { enum: ["yes", "no"] },
      count: { type: ["integer", "null"] },
      source: { enum: ["direct_message", "web", "api"] },
      answeredAt: { type: "string", format: "date-time" },
    },
  };
  return {
    TrackerSettings: {
      type: "object",
      description:
        "The fields of TrackerSettingsPatch, plus linkedAccountIri (string or null) and linkedAccountConfirmed (boolean)",
    },
    TrackerSettingsPatch: schemaOf(trackerSettingsPatchSchema, "input"),
    CheckinInput: schemaOf(checkinBodySchema, "input"),
    Checkin: checkin,
    CheckinList: { type: "object", properties: { items: { type: "array", items: checkin } } },
    LinkInput: schemaOf(linkBodySchema, "input"),
    QuestionAskedAgain: {
      type: "object",
      properties: {
        weekStart: { type: "string", format: "date", description: "The week asked about" },
        channels: { type: "array", items: { enum: ["app", "linked_account"] } },
      },
    },
  };
}
