import { and, eq, gt, lte, or } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { accountTokens } from "../db/schema.ts";
import { generateToken, hashToken } from "./tokens.ts";

/** What a mailed link is for. */
export type AccountTokenPurpose = "password_reset" | "email_verification";

export interface AccountToken {
  memberId: string;
  /** For an address check: the address the link was mailed to. */
  email: string | null;
}

/**
 * Single-use links mailed to a member (src/db/schema/sessions.ts, `account_tokens`). A token
 * carries 256 random bits (`generateToken`), so its SHA-256 digest is all that is stored;
 * issuing one ends the member's earlier token of the same purpose; using it deletes it.
 */
export interface AccountTokens {
  /** A new token for the member, returned once in clear; lives `ttlMs`. */
  issue(
    memberId: string,
    purpose: AccountTokenPurpose,
    ttlMs: number,
    email?: string,
  ): Promise<string>;
  /** The live token's member, without using it (to show the form it opens). */
  find(purpose: AccountTokenPurpose, token: string): Promise<AccountToken | undefined>;
  /** Uses the token: it answers once, then never again (expired: never). */
  consume(purpose: AccountTokenPurpose, token: string): Promise<AccountToken | undefined>;
  /** Ends the member's live token of this purpose, if any. */
  revoke(memberId: string, purpose: AccountTokenPurpose): Promise<void>;
}

/** The shape `generateToken` makes: 32 bytes in base64url. Anything else is not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function createAccountTokens(db: Db, now: () => Date = () => new Date()): AccountTokens {
  const live = (purpose: AccountTokenPurpose, token: string) =>
    and(
      eq(accountTokens.tokenHash, hashToken(token)),
      eq(accountTokens.purpose, purpose),
      gt(accountTokens.expiresAt, now()),
    );
  const columns = { memberId: accountTokens.memberId, email: accountTokens.email };

  return {
    async issue(memberId, purpose, ttlMs, email) {
      const token = generateToken();
      const at = now();
      await db.transaction(async (tx) => {
        // The member's earlier link of this purpose stops working; expired links of anyone go.
        await tx
          .delete(accountTokens)
          .where(
            or(
              and(eq(accountTokens.memberId, memberId), eq(accountTokens.purpose, purpose)),
              lte(accountTokens.expiresAt, at),
            ),
          );
        await tx.insert(accountTokens).values({
          tokenHash: hashToken(token),
          memberId,
          purpose,
          email: email ?? null,
          createdAt: at,
          expiresAt: new Date(at.getTime() + ttlMs),
        });
      });
      return token;
    },

    async find(purpose, token) {
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const [row] = await db.select(columns).from(accountTokens).where(live(purpose, token));
      return row;
    },

    async consume(purpose, token) {
      if (!TOKEN_SHAPE.test(token)) return undefined;
      // One statement: two requests racing with the same link cannot both get its row.
      const [row] = await db.delete(accountTokens).where(live(purpose, token)).returning(columns);
      return row;
    },

    async revoke(memberId, purpose) {
      await db
        .delete(accountTokens)
        .where(and(eq(accountTokens.memberId, memberId), eq(accountTokens.purpose, purpose)));
    },
  };
}
