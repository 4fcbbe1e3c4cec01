import { z } from "zod";
import { AUTHORIZED_APPS_OPERATIONS, AUTHORIZED_APPS_SCHEMAS } from "./authorized-apps-routes.ts";
import {
  createEncounterBodySchema,
  PHOTO_MAX_BYTES,
  patchEncounterBodySchema,
} from "./encounter-body.ts";
import {
  encounterJsonSchema,
  errorJsonSchema,
  meJsonSchema,
  notificationJsonSchema,
  settingsJsonSchema,
} from "./encounter-json.ts";
import {
  API_PREFIX,
  listEncountersQuerySchema,
  listNotificationsQuerySchema,
  settingsPatchSchema,
} from "./encounters-routes.ts";
import { error, type Json, jsonContent, type Operation, ref } from "./openapi-operation.ts";
import { PROFILE_OPERATIONS, PROFILE_SCHEMAS } from "./profile-openapi.ts";
import { REPLY_OPERATIONS, REPLY_SCHEMAS } from "./replies-routes.ts";
import { TRACKER_OPERATIONS, TRACKER_SCHEMAS } from "./tracker-openapi.ts";
import { TRACKER_SERIES_OPERATIONS } from "./tracker-series-routes.ts";
import { WEEKLY_QUESTION_OPERATIONS, WEEKLY_QUESTION_SCHEMAS } from "./weekly-question-openapi.ts";

/** A zod schema as OpenAPI 3.1's JSON Schema (draft 2020-12), as a client sends or receives it. */
function schemaOf(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return json;
}

const list = (item: z.ZodType) =>
  z.object({
    items: z.array(item),
    nextBefore: z
      .string()
      .nullable()
      .meta({ description: "Pass as `before` for the next page; null on the last" }),
  });

/** Multipart: the same fields as the JSON body, flattened, plus the photo and `data`. */
const multipartSchema = (base: Json): Json => ({
  type: "object",
  description:
    "Either the JSON fields one by one (`participants[]` and `keywords[]` repeated, `details[emotion]`…; empty fields are ignored) or one `data` field holding the JSON body; fields sent one by one win over the same field in `data`.",
  properties: {
    photo: {
      type: "string",
      contentMediaType: "application/octet-stream",
      description: `JPEG, PNG, WebP or AVIF, at most ${PHOTO_MAX_BYTES / 1024 / 1024} MiB: 413 when larger, 415 when not a photo, 422 when damaged`,
    },
    data: {
      type: "string",
      contentMediaType: "application/json",
      description: "The JSON body as one field",
    },
    ...(base.properties as Json),
    "participants[]": { type: "array", items: { type: "string" } },
    "keywords[]": { type: "array", items: { type: "string" } },
    "details[emotion]": { type: "string" },
  },
});

const idParam = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string", format: "uuid" },
};

const OPERATIONS: Operation[] = [
  {
    method: "post",
    path: "/encounters",
    summary: "Log an encounter (JSON, or multipart with a photo)",
    body: {
      ...jsonContent("EncounterInput"),
      "multipart/form-data": { schema: ref("EncounterInputMultipart") },
    },
    responses: {
      201: { description: "Created; Location is its API URL", content: jsonContent("Encounter") },
      413: error("The photo or a field is too large"),
      415: error("Not JSON nor multipart, or the photo is not a photo"),
      422: error("A field is invalid; the message names it"),
    },
  },
  {
    method: "get",
    path: "/encounters",
    summary: "Your own encounters, newest first",
    query: listEncountersQuerySchema,
    responses: { 200: { description: "A page", content: jsonContent("EncounterList") } },
  },
  {
    method: "get",
    path: "/encounters/{id}",
    summary: "One encounter: yours, or one you may see",
    responses: {
      200: { description: "The encounter", content: jsonContent("Encounter") },
      404: error("None you can see"),
    },
  },
  {
    method: "patch",
    path: "/encounters/{id}",
    summary:
      "Edit your encounter: only the fields sent change; removePhoto: true removes the photo",
    body: {
      ...jsonContent("EncounterPatch"),
      "multipart/form-data": { schema: ref("EncounterPatchMultipart") },
    },
    responses: {
      200: { description: "The edited encounter", content: jsonContent("Encounter") },
      404: error("Not yours"),
      422: error("A field is invalid"),
    },
  },
  {
    method: "delete",
    path: "/encounters/{id}",
    summary: "Delete your encounter (federated as Delete)",
    responses: { 204: { description: "Deleted" }, 404: error("Not yours") },
  },
  {
    method: "post",
    path: "/encounters/{id}/cosign",
    summary: "Co-sign an encounter that names you: your followers see it",
    responses: {
      200: { description: "The encounter", content: jsonContent("Encounter") },
      404: error("No encounter names you"),
      422: error("Only public or unlisted encounters can be co-signed"),
    },
  },
  {
    method: "post",
    path: "/encounters/{id}/decline",
    summary: "Decline (or withdraw) your co-signature",
    responses: {
      200: { description: "The encounter", content: jsonContent("Encounter") },
      404: error("No encounter names you"),
    },
  },
  {
    method: "post",
    path: "/encounters/{id}/like",
    summary:
      "Like an encounter you may see (ours, or a remote one stored here); liking twice is one like. A remote author's server receives a Like",
    responses: {
      200: { description: "The encounter", content: jsonContent("Encounter") },
      404: error("None you can see"),
    },
  },
  {
    method: "delete",
    path: "/encounters/{id}/like",
    summary: "Take back your like (an Undo(Like) for a remote author); not liked is no error",
    responses: {
      200: { description: "The encounter", content: jsonContent("Encounter") },
      204: { description: "Like taken back; the encounter is deleted or no longer visible to you" },
      404: error("None you can see"),
    },
  },
  {
    method: "get",
    path: "/notifications",
    summary: "Your notifications, newest first",
    query: listNotificationsQuerySchema,
    responses: { 200: { description: "A page", content: jsonContent("NotificationList") } },
  },
  {
    method: "post",
    path: "/notifications/{id}/read",
    summary: "Mark a notification read",
    responses: {
      200: { description: "The notification", content: jsonContent("Notification") },
      404: error("Not yours"),
    },
  },
  {
    method: "get",
    path: "/me",
    summary: "Your account and settings",
    responses: { 200: { description: "You", content: jsonContent("Me") } },
  },
  {
    method: "patch",
    path: "/me/settings",
    summary: "Change your settings",
    body: jsonContent("SettingsPatch"),
    responses: {
      200: { description: "The settings", content: jsonContent("Settings") },
      422: error("Invalid value"),
    },
  },
];

/** The whole API as an OpenAPI 3.1 document; schemas come from the zod schemas the routes use. */
export function buildOpenApiDocument(options: { origin: string; version: string }): Json {
  const paths: Json = {};
  for (const op of [
    ...OPERATIONS,
    ...REPLY_OPERATIONS,
    ...TRACKER_OPERATIONS,
    ...TRACKER_SERIES_OPERATIONS,
    ...WEEKLY_QUESTION_OPERATIONS,
    ...PROFILE_OPERATIONS,
    ...AUTHORIZED_APPS_OPERATIONS,
  ]) {
    const path = `${API_PREFIX}${op.path}`;
    const query = op.query ? (schemaOf(op.query, "input").properties as Record<string, Json>) : {};
    paths[path] = {
      ...(paths[path] as Json | undefined),
      [op.method]: {
        summary: op.summary,
        operationId: `${op.method}${op.path.replace(/\{(\w+)\}/g, "By_$1").replace(/\W+(\w)/g, (_, c: string) => c.toUpperCase())}`,
        security: [{ bearer: [] }],
        parameters: [
          ...(op.path.includes("{id}") ? [idParam] : []),
          ...Object.entries(query).map(([name, schema]) => ({
            name,
            in: "query",
            required: false,
            schema,
          })),
        ],
        ...(op.body ? { requestBody: { required: true, content: op.body } } : {}),
        responses: {
          ...op.responses,
          401: error("No or wrong bearer token"),
          429: error("Too many wrong tokens from your address; see Retry-After"),
        },
      },
    };
  }
  paths["/users/{username}/outbox"] = {
    post: {
      summary:
        "ActivityPub client-to-server: post an activity (Note, Create, Update, Delete, Follow, Undo, Announce, Like). A Note with inReplyTo (an encounter's IRI or a reply's) is a reply; Delete of your reply's IRI deletes it",
      operationId: "postOutbox",
      security: [{ bearer: [] }],
      parameters: [{ name: "username", in: "path", required: true, schema: { type: "string" } }],
      requestBody: {
        required: true,
        content: {
          "application/activity+json": { schema: { type: "object" } },
          'application/ld+json; profile="https://www.w3.org/ns/activitystreams"': {
            schema: { type: "object" },
          },
        },
      },
      responses: {
        201: {
          description: "Done; Location is the new object's or activity's IRI when there is one",
        },
        400: error("Not JSON"),
        401: error("No or wrong bearer token"),
        403: error("The token belongs to another member"),
        413: error("Larger than 1 MiB"),
        415: error("Wrong content type"),
        404: error("The object or the activity to undo is none of yours or none you can see"),
        422: error("Not an activity we can carry out; the message says why"),
      },
    },
  };

  const createSchema = schemaOf(createEncounterBodySchema, "input");
  const patchSchema = schemaOf(patchEncounterBodySchema, "input");
  return {
    openapi: "3.1.0",
    info: {
      title: "Socialdapres API",
      version: options.version,
      description:
        "The instance's own JSON API for encounters, and the ActivityPub C2S outbox. See docs/API.md.",
    },
    servers: [{ url: options.origin }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        EncounterInput: createSchema,
        EncounterPatch: patchSchema,
        EncounterInputMultipart: multipartSchema(createSchema),
        EncounterPatchMultipart: multipartSchema(patchSchema),
        Encounter: schemaOf(encounterJsonSchema, "output"),
        EncounterList: schemaOf(list(encounterJsonSchema), "output"),
        Notification: schemaOf(notificationJsonSchema, "output"),
        NotificationList: schemaOf(list(notificationJsonSchema), "output"),
        Me: schemaOf(meJsonSchema, "output"),
        Settings: schemaOf(settingsJsonSchema, "output"),
        SettingsPatch: schemaOf(settingsPatchSchema, "input"),
        Error: schemaOf(errorJsonSchema, "output"),
        ...REPLY_SCHEMAS(schemaOf),
        ...TRACKER_SCHEMAS(schemaOf),
        ...WEEKLY_QUESTION_SCHEMAS(schemaOf),
        ...PROFILE_SCHEMAS(schemaOf),
        ...AUTHORIZED_APPS_SCHEMAS(schemaOf),
      },
    },
  };
}
