import { randomUUID } from "node:crypto";
import { and, desc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/database.ts";
import { invitations } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import { generateToken, hashToken } from "./tokens.ts";

export type Invitation = typeof invitations.$inferSelect;

/** Why a code opens no door: each is said plainly to whoever holds it. */
export type InvitationProblem = "unknown" | "expired" | "used_up" | "revoked";

export type InvitationCheck =
  | { ok: true; invitation: Invitation }
  | { ok: false; problem: InvitationProblem };

export const INVITATION_MAX_USES = 1000;
export const INVITATION_NOTE_MAX = 200;

/** The admin's form: how many people it lets in (none: unlimited), until when, for whom. */
export const invitationInput = z.object({
  maxUses: z.number().int().min(1).max(INVITATION_MAX_USES).nullable(),
  expiresAt: z.date().nullable(),
  note: z.string().trim().max(INVITATION_NOTE_MAX).default(""),
});
export type InvitationInput = z.input<typeof invitationInput>;

export interface InvitationsService {
  /** A new link's code, returned once in clear (256 random bits) and stored as a digest. */
  create(
    createdBy: string | null,
    input: InvitationInput,
  ): Promise<{ invitation: Invitation; code: string }>;
  /** Every invitation, newest first, for the admin. */
  list(): Promise<Invitation[]>;
  revoke(id: string): Promise<void>;
  /** Whether the code lets someone join now (without using it up). */
  check(code: string): Promise<InvitationCheck>;
  /**
   * Uses the code once, atomically (a single-use code let in two people at once lets in one):
   * the invitation, or why it cannot be used. `giveBack` undoes a use whose sign-up failed.
   */
  use(code: string): Promise<InvitationCheck>;
  giveBack(invitationId: string): Promise<void>;
}

/** Codes are base64url; anything else is no code of ours (and is not looked up). */
const CODE_PATTERN = /^[A-Za-z0-9_-]{20,100}$/;

export function invitationProblem(invitation: Invitation, at: Date): InvitationProblem | undefined {
  if (invitation.revokedAt) return "revoked";
  if (invitation.expiresAt && invitation.expiresAt.getTime() <= at.getTime()) return "expired";
  if (invitation.maxUses !== null && invitation.uses >= invitation.maxUses) return "used_up";
  return undefined;
}

export function createInvitationsService(deps: { db: Db; now?: () => Date }): InvitationsService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  async function find(code: string): Promise<Invitation | undefined> {
    if (!CODE_PATTERN.test(code)) return undefined;
    const [row] = await db
      .select()
      .from(invitations)
      .where(eq(invitations.codeHash, hashToken(code)));
    return row;
  }

  async function check(code: string): Promise<InvitationCheck> {
    const invitation = await find(code);
    if (!invitation) return { ok: false, problem: "unknown" };
    const problem = invitationProblem(invitation, now());
    return problem ? { ok: false, problem } : { ok: true, invitation };
  }

  return {
    async create(createdBy, input) {
      const parsed = invitationInput.safeParse(input);
      if (!parsed.success) {
        throw new DomainError("invalid", parsed.error.issues[0]?.message ?? "Invalid invitation.");
      }
      const { maxUses, expiresAt, note } = parsed.data;
      if (expiresAt && expiresAt.getTime() <= now().getTime()) {
        throw new DomainError("invalid", "The expiry date must be in the future.");
      }
      const code = generateToken();
      const [invitation] = await db
        .insert(invitations)
        .values({
          id: randomUUID(),
          codeHash: hashToken(code),
          createdBy,
          maxUses,
          expiresAt,
          note,
        })
        .returning();
      if (!invitation) throw new Error("invitation vanished after insert");
      return { invitation, code };
    },

    list: () => db.select().from(invitations).orderBy(desc(invitations.createdAt)).limit(500),

    async revoke(id) {
      await db
        .update(invitations)
        .set({ revokedAt: now() })
        .where(and(eq(invitations.id, id), isNull(invitations.revokedAt)));
    },

    check,

    async use(code) {
      if (!CODE_PATTERN.test(code)) return { ok: false, problem: "unknown" };
      const [used] = await db
        .update(invitations)
        .set({ uses: sql`${invitations.uses} + 1` })
        .where(
          and(
            eq(invitations.codeHash, hashToken(code)),
            isNull(invitations.revokedAt),
            or(isNull(invitations.expiresAt), gt(invitations.expiresAt, now())),
            or(isNull(invitations.maxUses), lt(invitations.uses, invitations.maxUses)),
          ),
        )
        .returning();
      if (used) return { ok: true, invitation: used };
      // Why not: the problem as it is now (a code that turned usable again meanwhile was
      // still not used by this call).
      const checked = await check(code);
      return checked.ok ? { ok: false, problem: "used_up" } : checked;
    },

    async giveBack(invitationId) {
      await db
        .update(invitations)
        .set({ uses: sql`greatest(${invitations.uses} - 1, 0)` })
        .where(eq(invitations.id, invitationId));
    },
  };
}
