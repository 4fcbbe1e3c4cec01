import type { z } from "zod";
import { FIELDS_MAX } from "../accounts/profile-input.ts";
import { PROFILE_IMAGE_SIZES } from "../media/photo-processor.ts";
import { PHOTO_MAX_BYTES } from "./encounter-body.ts";
import { error, jsonContent, type Operation, ref } from "./openapi-operation.ts";
import { profileBodySchema, profileJsonSchema } from "./profile-routes.ts";

/* The profile's operations in the OpenAPI document (src/api/openapi.ts). */

export const PROFILE_OPERATIONS: Operation[] = [
  {
    method: "get",
    path: "/profile",
    summary: "Your profile: display name, bio, fields, avatar and header",
    responses: { 200: { description: "Your profile", content: jsonContent("Profile") } },
  },
  {
    method: "patch",
    path: "/profile",
    summary:
      "Change your profile (JSON, or multipart with an avatar or a header image): only the fields sent change; your followers receive an Update of your actor",
    body: {
      ...jsonContent("ProfilePatch"),
      "multipart/form-data": { schema: ref("ProfilePatchMultipart") },
    },
    responses: {
      200: { description: "Your profile as it now is", content: jsonContent("Profile") },
      413: error("An image or a field is too large"),
      415: error("Not JSON nor multipart, or an image is not an image"),
      422: error("A field is invalid (too long, too many fields…); the message names it"),
    },
  },
];

const image = (kind: keyof typeof PROFILE_IMAGE_SIZES) => {
  const { width, height } = PROFILE_IMAGE_SIZES[kind];
  return {
    type: "string",
    contentMediaType: "application/octet-stream",
    description: `JPEG, PNG, WebP or AVIF, at most ${PHOTO_MAX_BYTES / 1024 / 1024} MiB; metadata removed, cropped to ${width}×${height}: 413 when larger, 415 when not an image, 422 when damaged`,
  };
};

export function PROFILE_SCHEMAS(schemaOf: (schema: z.ZodType, io: "input" | "output") => object) {
  const patch = schemaOf(profileBodySchema, "input") as { properties?: object };
  return {
    ProfilePatch: patch,
    ProfilePatchMultipart: {
      type: "object",
      description: `The JSON fields one by one (fields as \`fields[0][name]\`, \`fields[0][value]\`… up to ${FIELDS_MAX}, or Mastodon's \`fields_attributes[0][name]\`), or one \`data\` field holding the JSON body; fields sent one by one win over the same field in \`data\`.`,
      properties: {
        avatar: image("avatar"),
        header: image("header"),
        data: {
          type: "string",
          contentMediaType: "application/json",
          description: "The JSON body as one field",
        },
        ...patch.properties,
        "fields[0][name]": { type: "string" },
        "fields[0][value]": { type: "string" },
      },
    },
    Profile: schemaOf(profileJsonSchema, "output"),
  };
}
