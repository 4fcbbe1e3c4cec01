import type { FastifyRequest } from "fastify";
import { z } from "zod";
import {
  type EncounterInput,
  type EncounterPatch,
  encounterInputSchema,
  encounterPatchSchema,
} from "../encounters/encounter-input.ts";
import { DomainError } from "../shared/errors.ts";
import { refuseNul } from "../shared/input.ts";
import { parseOrThrow } from "../shared/validation.ts";

export const PHOTO_MAX_BYTES = 10 * 1024 * 1024;

/** @fastify/multipart's limits for a form carrying one photo (the API's and the pages'). */
export const PHOTO_FORM_LIMITS = {
  fileSize: PHOTO_MAX_BYTES,
  files: 1,
  fields: 100,
  parts: 101,
  fieldSize: 64 * 1024,
};

/** The domain's own schemas, strict at the edge: a misspelt field is an error, not ignored. */
export const createEncounterBodySchema = encounterInputSchema.strict();
export const patchEncounterBodySchema = encounterPatchSchema
  .extend({
    removePhoto: z
      .boolean({ error: "must be true or false" })
      .optional()
      .meta({ description: "true removes the photo; cannot be sent with a photo" }),
  })
  .strict();

export interface EncounterBody<T> {
  /** The fields as received, checked against the schema; the service parses them again. */
  fields: T;
  photo?: Buffer;
  removePhoto: boolean;
}

/** An error Fastify's error handler answers with this status and message. */
export function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode });
}

const ARRAY_FIELDS = new Set(["participants", "keywords"]);

/**
 * Reads a JSON or multipart body into fields (+ photo) and validates the fields with
 * the domain's schema. Throws 4xx errors a person can act on; stores nothing.
 */
export async function readEncounterBody(
  request: FastifyRequest,
  mode: "create",
): Promise<EncounterBody<EncounterInput>>;
export async function readEncounterBody(
  request: FastifyRequest,
  mode: "patch",
): Promise<EncounterBody<EncounterPatch>>;
export async function readEncounterBody(
  request: FastifyRequest,
  mode: "create" | "patch",
): Promise<EncounterBody<EncounterInput | EncounterPatch>> {
  let fields: Record<string, unknown>;
  let photo: Buffer | undefined;
  if (request.isMultipart()) {
    ({ fields, photo } = await readMultipart(request));
    // JSON bodies are checked for NUL by the edge hook (src/http/input-guards.ts); form
    // fields are read here.
    refuseNul(fields);
  } else {
    const body = request.body;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw httpError(400, "The body must be a JSON object (or multipart/form-data).");
    }
    fields = { ...(body as Record<string, unknown>) };
  }
  const schema = mode === "create" ? createEncounterBodySchema : patchEncounterBodySchema;
  // Checked whole here (the body's own fields); the service checks the input again.
  parseOrThrow(schema, fields);
  const removePhoto = fields.removePhoto === true;
  delete fields.removePhoto;
  if (removePhoto && photo) {
    throw new DomainError(
      "invalid",
      "removePhoto cannot be sent with a photo: send one or the other.",
    );
  }
  if (mode === "create" && photo === undefined && fields.photoAlt !== undefined) {
    throw new DomainError("invalid", "photoAlt describes a photo: send the photo with it.");
  }
  // Checked above against the very schema that defines these types.
  return { fields: fields as EncounterInput | EncounterPatch, photo, removePhoto };
}

/** RFC 2046: 1 to 70 characters. */
const BOUNDARY = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i;

async function readMultipart(request: FastifyRequest) {
  if (!BOUNDARY.test(request.headers["content-type"] ?? "")) {
    throw httpError(
      400,
      "The Content-Type multipart/form-data needs a boundary of 1 to 70 characters (boundary=…), the one that separates the parts of the body.",
    );
  }
  const fields: Record<string, unknown> = {};
  const details: Record<string, unknown> = {};
  let data: Record<string, unknown> | undefined;
  let photo: Buffer | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === "file") {
        // `curl -F data=@encounter.json` sends the JSON body as a file: read it as the field.
        if (part.fieldname === "data") {
          data = parseDataField((await part.toBuffer()).toString("utf8"));
          continue;
        }
        if (part.fieldname !== "photo") {
          await part.toBuffer().catch(() => {});
          throw httpError(
            422,
            `Unexpected file "${part.fieldname}": send the photo as the part "photo".`,
          );
        }
        const bytes = await part.toBuffer();
        // A browser sends an empty file part when no file was chosen: no photo.
        if (bytes.length > 0) photo = bytes;
        continue;
      }
      if (part.valueTruncated) throw httpError(413, `The field "${part.fieldname}" is too long.`);
      const name = part.fieldname;
      const value = part.value;
      if (name === "data") {
        data = parseDataField(value);
        continue;
      }
      // Browsers send every input of a form, the empty ones too: empty means "not given".
      if (value === "") continue;
      const base = name.replace(/\[\]$/, "");
      const detail = /^details(?:\[(\w+)\]|\.(\w+))$/.exec(name);
      if (ARRAY_FIELDS.has(base)) {
        const list = (fields[base] as unknown[] | undefined) ?? [];
        list.push(value);
        fields[base] = list;
      } else if (detail) {
        details[(detail[1] ?? detail[2]) as string] = value;
      } else if (name === "removePhoto") {
        fields.removePhoto = value === "true" ? true : value === "false" ? false : value;
      } else {
        fields[name] = value;
      }
    }
  } catch (error) {
    throw multipartError(error);
  }
  // Individual fields win over the same field inside `data`.
  const merged: Record<string, unknown> = { ...data, ...fields };
  if (Object.keys(details).length > 0) {
    const base = typeof data?.details === "object" && data.details !== null ? data.details : {};
    merged.details = { ...base, ...details };
  }
  return { fields: merged, photo };
}

function parseDataField(value: unknown): Record<string, unknown> {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw httpError(400, 'The field "data" must hold a JSON object.');
    }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw httpError(400, 'The field "data" must hold a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** @fastify/multipart's terse errors, reworded for the person sending the form. */
export function multipartError(
  error: unknown,
  files: { one: string; limit: string; maxBytes?: number } = {
    one: "The photo is",
    limit: 'Send at most one file, the part "photo".',
  },
): unknown {
  const code = (error as { code?: string } | null)?.code;
  switch (code) {
    case "FST_REQ_FILE_TOO_LARGE":
      return httpError(
        413,
        `${files.one} larger than ${(files.maxBytes ?? PHOTO_MAX_BYTES) / 1024 / 1024} MiB: send a smaller one.`,
      );
    case "FST_FILES_LIMIT":
      return httpError(413, files.limit);
    case "FST_FIELDS_LIMIT":
    case "FST_PARTS_LIMIT":
      return httpError(413, "Too many form fields.");
    case "FST_INVALID_JSON_FIELD_ERROR":
      return httpError(400, "A field declared as application/json does not hold valid JSON.");
    case "FST_PROTO_VIOLATION":
      return httpError(400, "A form field has a forbidden name.");
  }
  // Errors that carry a status keep it: ours (a field refused above) and the plugin's others.
  if ((error as { statusCode?: number } | null)?.statusCode !== undefined) return error;
  // The parser's own errors: a body cut short, a boundary that is not the one announced.
  return httpError(
    400,
    `The multipart/form-data body could not be read (${(error as Error | null)?.message ?? "malformed"}): send the whole body, its parts separated by the boundary given in Content-Type.`,
  );
}
