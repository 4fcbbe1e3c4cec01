import { eq } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { directMessages } from "../db/schema.ts";

export type DirectMessagesRepository = ReturnType<typeof createDirectMessagesRepository>;

/**
 * The direct messages the instance actor sent, as sent (the Note's JSON-LD): what their
 * ids serve to their one addressee. They go with the member's account (cascade).
 */
export function createDirectMessagesRepository(db: Db) {
  return {
    async save(message: {
      iri: string;
      memberId: string;
      recipientIri: string;
      note: unknown;
    }): Promise<void> {
      await db.insert(directMessages).values(message).onConflictDoNothing();
    },

    async find(
      iri: string,
    ): Promise<{ memberId: string; recipientIri: string; note: unknown } | undefined> {
      const [row] = await db
        .select({
          memberId: directMessages.memberId,
          recipientIri: directMessages.recipientIri,
          note: directMessages.note,
        })
        .from(directMessages)
        .where(eq(directMessages.iri, iri));
      return row;
    },
  };
}
