import { z } from "zod";
import { REPORT_CATEGORIES, type ReportCategory } from "../db/schema.ts";
import { uuidSchema } from "../shared/input.ts";

export const REPORT_COMMENT_MAX = 1_000;
export const RESOLUTION_NOTE_MAX = 1_000;
/** The most objects of a received Flag that are read. */
export const FLAG_OBJECTS_MAX = 20;

/** Mastodon's report categories → ours (legal and rule violations are abuse here). */
export function categoryFromMastodon(category: string | undefined): ReportCategory {
  switch (category) {
    case "spam":
      return "spam";
    case "legal":
    case "violation":
      return "abuse";
    default:
      return "other";
  }
}

/** Ours → Mastodon's, for the Report entity. */
export const categoryToMastodon = (category: ReportCategory): string =>
  category === "spam" ? "spam" : category === "abuse" ? "violation" : "other";

/** What a member reports: an account, an encounter or a reply (exactly one of them leads). */
export const reportInputSchema = z
  .object({
    accountId: uuidSchema.optional(),
    encounterId: uuidSchema.optional(),
    replyId: uuidSchema.optional(),
    category: z.enum(REPORT_CATEGORIES, {
      error: `must be one of ${REPORT_CATEGORIES.join(", ")}`,
    }),
    comment: z
      .string()
      .trim()
      .max(REPORT_COMMENT_MAX, `is ${REPORT_COMMENT_MAX} characters at most: shorten it`)
      .default(""),
    forward: z.boolean().default(false),
  })
  .refine((r) => r.accountId || r.encounterId || r.replyId, {
    message: "names nothing: report an account, an encounter or a reply",
  });
export type ReportInput = z.input<typeof reportInputSchema>;

export const resolutionNoteSchema = z
  .string()
  .trim()
  .max(RESOLUTION_NOTE_MAX, `is ${RESOLUTION_NOTE_MAX} characters at most: shorten it`)
  .optional();
