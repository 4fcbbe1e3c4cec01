import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { MediaUpload } from "../../media/uploads-service.ts";
import { refuseNul } from "../../shared/input.ts";
import { parseOrThrow } from "../../shared/validation.ts";
import { httpError, multipartError } from "../encounter-body.ts";
import type { MastodonDeps } from "./deps.ts";
import { idOf, memberViewer, needs } from "./http-support.ts";
import { photoAttachment } from "./status.ts";

const describeSchema = z.object({
  description: z
    .string({ error: "must be text: the photo's alt text" })
    .max(1500, "is too long: at most 1,500 characters")
    .optional(),
  focus: z.string().max(50).optional(),
});

/** An upload as Mastodon's MediaAttachment; its description is the alt text. */
export const uploadAttachment = (upload: MediaUpload) =>
  photoAttachment(upload.id, { ...upload.files, alt: upload.description });

/**
 * `POST /api/v1/media` and `/api/v2/media` (a photo, processed at once: 200 with its URL),
 * `GET` and `PUT /api/v1/media/:id` (the description). A photo is posted with a status's
 * `media_ids`, once, and only once described.
 */
export function registerMediaRoutes(api: FastifyInstance, deps: MastodonDeps): void {
  const uploads = deps.services.mediaUploads;

  const upload = async (request: FastifyRequest) => {
    const viewer = await memberViewer(deps, request);
    const { file, fields } = await readUpload(request);
    const { description } = parseOrThrow(describeSchema, fields);
    return uploadAttachment(await uploads.upload(viewer.member.id, file, description));
  };
  api.post("/api/v1/media", needs(deps, "write:media"), upload);
  api.post("/api/v2/media", needs(deps, "write:media"), upload);

  api.get("/api/v1/media/:id", needs(deps, "write:media"), async (request) => {
    const viewer = await memberViewer(deps, request);
    return uploadAttachment(await uploads.get(viewer.member.id, idOf(request, "media")));
  });

  api.put("/api/v1/media/:id", needs(deps, "write:media"), async (request) => {
    const viewer = await memberViewer(deps, request);
    const id = idOf(request, "media");
    const { description } = parseOrThrow(describeSchema, request.body ?? {});
    const row =
      description === undefined
        ? await uploads.get(viewer.member.id, id)
        : await uploads.describe(viewer.member.id, id, description);
    return uploadAttachment(row);
  });
}

async function readUpload(request: FastifyRequest) {
  if (!request.isMultipart()) {
    throw httpError(422, 'Send the photo as multipart/form-data, in the part "file".');
  }
  const fields: Record<string, string> = {};
  let file: Buffer | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === "file") {
        const bytes = await part.toBuffer();
        if (part.fieldname !== "file" && part.fieldname !== "thumbnail") {
          throw httpError(
            422,
            `Unexpected file "${part.fieldname}": send the photo as the part "file".`,
          );
        }
        if (part.fieldname === "file" && bytes.length > 0) file = bytes;
        continue;
      }
      if (part.valueTruncated) throw httpError(413, `The field "${part.fieldname}" is too long.`);
      fields[part.fieldname] = String(part.value);
    }
  } catch (error) {
    throw multipartError(error, {
      one: "The photo is",
      limit: 'Send one photo, in the part "file".',
    });
  }
  refuseNul(fields);
  if (!file) throw httpError(422, 'No photo: send it as the part "file" of the form.');
  return { file, fields };
}
