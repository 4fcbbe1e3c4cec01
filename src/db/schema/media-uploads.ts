import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";

/** The stored files of an uploaded photo (src/media/media-service.ts `StoredPhoto`). */
export interface UploadedPhotoFiles {
  key: string;
  url: string;
  thumbnailKey: string;
  thumbnailUrl: string;
  mediaType: string;
  width: number;
  height: number;
  blurhash: string | null;
}

/**
 * A photo uploaded before the post that carries it (Mastodon apps upload first, then post
 * with `media_ids`). Its files are already processed and stored; `attachedAt` is set once an
 * encounter took it, so it is never attached twice.
 */
export const mediaUploads = pgTable(
  "media_uploads",
  {
    id: uuid("id").primaryKey(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    files: jsonb("files").$type<UploadedPhotoFiles>().notNull(),
    /** The alt text, as the member wrote it; empty until described. */
    description: text("description").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    attachedAt: timestamp("attached_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("media_uploads_member_idx").on(t.memberId, t.createdAt)],
);
