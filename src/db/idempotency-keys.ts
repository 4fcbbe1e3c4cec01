import { createHash } from "node:crypto";
import { and, eq, isNull, lte, or } from "drizzle-orm";
import { DomainError } from "../shared/errors.ts";
import type { Db } from "./database.ts";
import { idempotencyKeys } from "./schema.ts";

/**
 * `Idempotency-Key`: a retried post (a flaky phone connection) answers the first result
 * instead of posting twice, whatever process of the instance answers the retry. Per member,
 * kept an hour (`idempotency_keys`, only the key's digest). A retry that arrives while the
 * first request still runs waits for its answer (up to `waitMs`), then gets a 409; a key
 * whose first attempt failed may be tried again; one whose process died is free again after
 * `staleMs`.
 */
export interface IdempotencyKeys {
  run<T>(memberId: string, key: string | undefined, work: () => Promise<T>): Promise<T>;
}

export function createIdempotencyKeys(
  db: Db,
  options: { ttlMs?: number; waitMs?: number; staleMs?: number; now?: () => number } = {},
): IdempotencyKeys {
  const ttlMs = options.ttlMs ?? 3_600_000;
  const waitMs = options.waitMs ?? 10_000;
  const staleMs = options.staleMs ?? 60_000;
  const now = options.now ?? Date.now;
  const pollMs = 100;
  let runs = 0;

  const rowOf = (memberId: string, keyHash: string) =>
    and(eq(idempotencyKeys.memberId, memberId), eq(idempotencyKeys.keyHash, keyHash));

  /** Frees the key when its answer is too old, or its first request was given up. */
  async function forgetExpired(memberId: string, keyHash: string) {
    const at = now();
    await db
      .delete(idempotencyKeys)
      .where(
        and(
          rowOf(memberId, keyHash),
          or(
            lte(idempotencyKeys.createdAt, new Date(at - ttlMs)),
            and(
              isNull(idempotencyKeys.response),
              lte(idempotencyKeys.createdAt, new Date(at - staleMs)),
            ),
          ),
        ),
      );
  }

  return {
    async run(memberId, key, work) {
      if (!key) return work();
      const keyHash = createHash("sha256").update(key.slice(0, 200)).digest("base64url");
      if (++runs % 500 === 0) {
        await db
          .delete(idempotencyKeys)
          .where(lte(idempotencyKeys.createdAt, new Date(now() - ttlMs)))
          .catch(() => {});
      }
      const giveUpAt = now() + waitMs;
      for (;;) {
        await forgetExpired(memberId, keyHash);
        // The unique (member, key) row decides which request does the work.
        const [claimed] = await db
          .insert(idempotencyKeys)
          .values({ memberId, keyHash, response: null, createdAt: new Date(now()) })
          .onConflictDoNothing()
          .returning({ memberId: idempotencyKeys.memberId });
        if (claimed) {
          let result: Awaited<ReturnType<typeof work>>;
          try {
            result = await work();
          } catch (error) {
            await db.delete(idempotencyKeys).where(rowOf(memberId, keyHash));
            throw error;
          }
          await db
            .update(idempotencyKeys)
            .set({ response: JSON.parse(JSON.stringify(result ?? null)) })
            .where(rowOf(memberId, keyHash));
          return result;
        }
        const [found] = await db
          .select({ response: idempotencyKeys.response })
          .from(idempotencyKeys)
          .where(rowOf(memberId, keyHash));
        if (found && found.response !== null)
          return found.response as Awaited<ReturnType<typeof work>>;
        if (now() >= giveUpAt) {
          throw new DomainError(
            "conflict",
            "A request with this Idempotency-Key is still being processed: try again in a moment.",
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
  };
}
