import multipart from "@fastify/multipart";
import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { profilePatchSchema } from "../accounts/profile-input.ts";
import type { Profile, ProfileImages, ProfileService } from "../accounts/profile-service.ts";
import { refuseNul } from "../shared/input.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { parseOrThrow } from "../shared/validation.ts";
import { type BearerAuth, scopeByMethod } from "./auth.ts";
import { httpError, multipartError, PHOTO_MAX_BYTES } from "./encounter-body.ts";
import { API_PREFIX } from "./encounters-routes.ts";

export interface ProfileApiDeps {
  auth: BearerAuth;
  profiles: ProfileService;
  urls: LocalUrls;
}

const removeFlag = (what: string) =>
  z
    .boolean({ error: "must be true or false" })
    .optional()
    .meta({ description: `true removes the ${what}; cannot be sent with a new one` });

/** The domain's own schema, strict at the edge, and the flags that remove an image. */
export const profileBodySchema = profilePatchSchema
  .extend({ removeAvatar: removeFlag("avatar"), removeHeader: removeFlag("header image") })
  .strict();

export const profileJsonSchema = z.object({
  username: z.string(),
  displayName: z.string(),
  bio: z.string().meta({ description: "Plain text, as written" }),
  fields: z.array(z.object({ name: z.string(), value: z.string() })),
  avatarUrl: z.string().nullable().meta({ description: "400×400 WebP, served from /media" }),
  headerUrl: z.string().nullable().meta({ description: "1500×500 WebP, served from /media" }),
  manuallyApprovesFollowers: z.boolean(),
  discoverable: z.boolean(),
  actor: z.url(),
  profileUrl: z.url(),
  updatedAt: z.iso.datetime({ offset: true }).nullable(),
});

type ProfileJson = z.infer<typeof profileJsonSchema>;

export function profileToApiJson(profile: Profile, urls: LocalUrls): ProfileJson {
  return {
    username: profile.username,
    displayName: profile.displayName,
    bio: profile.bio,
    fields: profile.fields.map(({ name, value }) => ({ name, value })),
    avatarUrl: profile.avatarUrl,
    headerUrl: profile.headerUrl,
    manuallyApprovesFollowers: profile.manuallyApprovesFollowers,
    discoverable: profile.discoverable,
    actor: urls.actor(profile.username).href,
    profileUrl: urls.profile(profile.username).href,
    updatedAt: profile.updatedAt?.toISOString() ?? null,
  };
}

/** A profile's multipart body: two images, the texts and at most four fields. */
export const PROFILE_MULTIPART_LIMITS = {
  fileSize: PHOTO_MAX_BYTES,
  files: 2,
  fields: 40,
  parts: 42,
  fieldSize: 16 * 1024,
};

const IMAGE_PARTS = new Set(["avatar", "header"]);
/** Parts that are true or false ("true", "false"; an empty part is no value). */
const BOOLEAN_PARTS = new Set([
  "removeAvatar",
  "removeHeader",
  "manuallyApprovesFollowers",
  "discoverable",
]);

/** `GET` and `PATCH /api/socialdapres/v1/profile`: the authenticated member's own profile. */
export async function registerProfileApi(app: FastifyInstance, deps: ProfileApiDeps) {
  const { auth, profiles, urls } = deps;
  await app.register(
    async (api) => {
      await api.register(multipart, { limits: PROFILE_MULTIPART_LIMITS });
      api.removeContentTypeParser("text/plain");
      api.addHook("onRequest", auth.hook);
      api.addHook("preHandler", scopeByMethod(auth));
      api.setErrorHandler((error: FastifyError) => {
        if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
          throw httpError(
            415,
            "Send application/json, or multipart/form-data with an avatar or header part.",
          );
        }
        throw error;
      });
      const me = (request: FastifyRequest) => auth.memberOf(request).username;

      api.get("/profile", async (request) =>
        profileToApiJson(await profiles.get(me(request)), urls),
      );

      api.patch("/profile", async (request) => {
        const { fields, images } = await readProfileBody(request);
        const { profile } = await profiles.update(me(request), fields, images);
        return profileToApiJson(profile, urls);
      });
    },
    { prefix: API_PREFIX },
  );
}

/** A JSON or multipart body as the patch and the images; 4xx a person can act on. */
async function readProfileBody(
  request: FastifyRequest,
): Promise<{ fields: Record<string, unknown>; images: ProfileImages }> {
  let fields: Record<string, unknown>;
  const files: Record<string, Buffer> = {};
  if (request.isMultipart()) {
    fields = await readMultipart(request, files);
    refuseNul(fields);
  } else {
    const body = request.body;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw httpError(400, "The body must be a JSON object (or multipart/form-data).");
    }
    fields = { ...(body as Record<string, unknown>) };
  }
  // Checked whole here (names included); the service parses the patch again.
  parseOrThrow(profileBodySchema, fields);
  const images: ProfileImages = {};
  for (const kind of ["avatar", "header"] as const) {
    const flag = kind === "avatar" ? "removeAvatar" : "removeHeader";
    const remove = fields[flag] === true;
    delete fields[flag];
    if (remove && files[kind]) {
      throw httpError(422, `${flag} cannot be sent with a new ${kind}: send one or the other.`);
    }
    if (remove) images[kind] = null;
    else if (files[kind]) images[kind] = files[kind];
  }
  return { fields, images };
}

/** RFC 2046: 1 to 70 characters. */
const BOUNDARY = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i;
/** `fields[0][name]`, and Mastodon's `fields_attributes[0][value]`. */
const FIELD_PART = /^(?:fields|fields_attributes)\[(\d)\]\[(name|value)\]$/;

async function readMultipart(
  request: FastifyRequest,
  files: Record<string, Buffer>,
): Promise<Record<string, unknown>> {
  if (!BOUNDARY.test(request.headers["content-type"] ?? "")) {
    throw httpError(
      400,
      "The Content-Type multipart/form-data needs a boundary of 1 to 70 characters (boundary=…), the one that separates the parts of the body.",
    );
  }
  const fields: Record<string, unknown> = {};
  const profileFields: Array<{ name: string; value: string }> = [];
  let data: Record<string, unknown> | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === "file") {
        if (!IMAGE_PARTS.has(part.fieldname)) {
          await part.toBuffer().catch(() => {});
          throw httpError(
            422,
            `Unexpected file "${part.fieldname}": send the images as the parts "avatar" and "header".`,
          );
        }
        const bytes = await part.toBuffer();
        // A browser sends an empty file part when no file was chosen: no image.
        if (bytes.length > 0) files[part.fieldname] = bytes;
        continue;
      }
      if (part.valueTruncated) throw httpError(413, `The field "${part.fieldname}" is too long.`);
      const name = part.fieldname;
      const value = String(part.value);
      const field = FIELD_PART.exec(name);
      if (name === "data") {
        data = parseDataField(value);
      } else if (field) {
        const index = Number(field[1]);
        const entry = profileFields[index] ?? { name: "", value: "" };
        entry[field[2] as "name" | "value"] = value;
        profileFields[index] = entry;
      } else if (BOOLEAN_PARTS.has(name)) {
        if (value !== "")
          fields[name] = value === "true" ? true : value === "false" ? false : value;
      } else {
        // A form's empty bio is a bio emptied: unlike an encounter's fields, "" is a value here.
        fields[name] = value;
      }
    }
  } catch (error) {
    throw multipartError(error, {
      one: "An image is",
      limit: 'Send at most two files, the parts "avatar" and "header".',
    });
  }
  // Rows in the order of their numbers; a number skipped is no row.
  if (profileFields.length > 0) fields.fields = profileFields.filter(Boolean);
  // Individual fields win over the same field inside `data`.
  return { ...data, ...fields };
}

function parseDataField(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw httpError(400, 'The field "data" must hold a JSON object.');
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw httpError(400, 'The field "data" must hold a JSON object.');
  }
  return parsed as Record<string, unknown>;
}
