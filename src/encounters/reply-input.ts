import { z } from "zod";
import { VISIBILITIES } from "../db/schema.ts";
import { uuidSchema } from "../shared/input.ts";
import { MAX_REMOTE_HTML_LENGTH } from "../shared/sanitize-html.ts";
import { countGraphemes } from "./encounter-input.ts";

/** As long as a Mastodon post: a reply is a word under an encounter, not a second one. */
export const REPLY_MAX_GRAPHEMES = 500;

/** The visibilities a reply may ask for; it never gets wider than what it answers. */
export const REPLY_VISIBILITIES = VISIBILITIES.filter(
  (v): v is Exclude<(typeof VISIBILITIES)[number], "private"> => v !== "private",
);

/** What a member writes, from any client (own API, C2S, the Mastodon API and the web form). */
export const replyInputSchema = z
  .object({
    text: z
      .string({ error: "is required: say something in your reply" })
      .trim()
      .min(1, "is required: say something in your reply")
      .refine((t) => countGraphemes(t) <= REPLY_MAX_GRAPHEMES, {
        error: `must be at most ${REPLY_MAX_GRAPHEMES} characters`,
      }),
    inReplyTo: uuidSchema.optional().meta({
      description: "The id of a reply under the same encounter, to answer it in the thread",
    }),
    visibility: z
      .enum(REPLY_VISIBILITIES, { error: `must be one of ${REPLY_VISIBILITIES.join(", ")}` })
      .optional()
      .meta({
        description:
          "Who may read it; by default the encounter's visibility, and never wider than it (nor than the reply it answers)",
      }),
  })
  .strict();

export type ReplyInput = z.input<typeof replyInputSchema>;
export type ValidReplyInput = z.output<typeof replyInputSchema>;

const iri = z.url({ protocol: /^https?$/ }).max(2048);

/** What we keep of a remote reply, whatever software sent it (see federation/mappers/remote-reply.ts). */
export const remoteReplyRecordSchema = z.object({
  iri,
  url: iri.nullable(),
  authorIri: iri,
  /** The encounter it answers, or a reply of its thread. */
  inReplyTo: iri,
  /** The length of the HTML as sent: beyond what the sanitizer reads, it is refused, not cut. */
  contentLength: z
    .number()
    .int()
    .max(MAX_REMOTE_HTML_LENGTH, `its content is longer than ${MAX_REMOTE_HTML_LENGTH} characters`),
  /** Already sanitized (src/shared/sanitize-html.ts); forced `rel` attributes make it grow a little. */
  contentHtml: z.string().max(2 * MAX_REMOTE_HTML_LENGTH, "its content is too long"),
  text: z.string().max(MAX_REMOTE_HTML_LENGTH),
  /** The actors it mentions (Mention tags); only the first ones are kept. */
  mentions: z.array(iri).transform((m) => [...new Set(m)].slice(0, 100)),
  // "private" is ours alone: no remote post can be one.
  visibility: z.enum(REPLY_VISIBILITIES),
  publishedAt: z.date().nullable(),
  updatedAt: z.date().nullable(),
});

export type RemoteReplyRecord = z.input<typeof remoteReplyRecordSchema>;
export type ValidRemoteReplyRecord = z.output<typeof remoteReplyRecordSchema>;
