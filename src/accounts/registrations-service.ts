import { randomUUID } from "node:crypto";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { isUniqueViolation } from "../db/database-errors.ts";
import { registrationApplications } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import type { Logger } from "../shared/logger.ts";
import type { InstanceProfileService } from "./instance-profile-service.ts";
import type { InvitationProblem, InvitationsService } from "./invitations-service.ts";
import { checkJoinForm, type JoinErrors, type JoinForm, type JoinInput } from "./join-input.ts";
import { EMAIL_TAKEN, type Member, type MembersService } from "./members-service.ts";
import type { PasswordHashing } from "./passwords.ts";
import { generateToken, hashToken } from "./tokens.ts";

export type Application = typeof registrationApplications.$inferSelect;

/** What an applicant is told of, and what the admins decide. */
export type ApplicationDecision =
  | { status: "approved" }
  | { status: "refused"; reason: string | null };

/**
 * Tells an applicant the decision (an e-mail, once the instance sends them). No-op by
 * default; its failure is logged and never undoes the decision.
 */
export type TellApplicant = (
  application: Application,
  decision: ApplicationDecision,
) => Promise<void>;

/** Why a sign-up did not go through: the whole door (`door`) or some fields (`errors`). */
export class JoinRefused extends DomainError {
  readonly door: "closed" | "invitation_needed" | InvitationProblem | undefined;
  readonly errors: JoinErrors;

  constructor(refusal: { door?: JoinRefused["door"]; errors?: JoinErrors }) {
    super(
      refusal.door ? "forbidden" : "invalid",
      `Sign-up refused: ${refusal.door ?? Object.keys(refusal.errors ?? {}).join(", ")}.`,
    );
    this.name = "JoinRefused";
    this.door = refusal.door;
    this.errors = refusal.errors ?? {};
  }
}

export type JoinOutcome =
  | { kind: "member"; member: Member }
  | { kind: "application"; application: Application; statusToken: string };

export interface RegistrationsService {
  /**
   * Signs someone up as the registration mode says: a member at once (`open`, or any mode but
   * `closed` with a valid invitation code), or an application to review (`request`).
   */
  join(
    form: JoinForm,
    options: { invitationCode?: string; language: "fr" | "en" },
  ): Promise<JoinOutcome>;
  /** The application a status token belongs to. */
  statusOf(token: string): Promise<Application | undefined>;
  /** Applications waiting for a decision, oldest first. */
  pending(): Promise<Application[]>;
  /** Makes the member with the password they chose; a conflict if the name was taken meanwhile. */
  approve(applicationId: string, decidedBy: string): Promise<Member>;
  refuse(applicationId: string, decidedBy: string, reason?: string): Promise<Application>;
}

export const REFUSAL_REASON_MAX = 1000;

export function createRegistrationsService(deps: {
  db: Db;
  members: MembersService;
  passwords: PasswordHashing;
  invitations: InvitationsService;
  profile: Pick<InstanceProfileService, "get">;
  tellApplicant?: TellApplicant;
  logger: Logger;
}): RegistrationsService {
  const { db, members } = deps;
  const tellApplicant = deps.tellApplicant ?? (async () => {});

  /** Why the name cannot be had: a member's ("taken"), a deleted account's, or an application's. */
  async function nameTaken(username: string): Promise<"taken" | "deleted" | false> {
    const member = await members.findByUsername(username);
    if (member) return member.deletedAt ? "deleted" : "taken";
    const [pending] = await db
      .select({ id: registrationApplications.id })
      .from(registrationApplications)
      .where(
        and(
          eq(sql`lower(${registrationApplications.username})`, username.toLowerCase()),
          eq(registrationApplications.status, "pending"),
        ),
      );
    return pending !== undefined && "taken";
  }

  /**
   * Makes the member. An e-mail address another member already has is left out, and the
   * sign-up goes on as if it were free: the form never tells whose address is known here.
   */
  async function createMember(input: {
    username: string;
    displayName: string;
    passwordHash: string;
    email: string | null;
  }): Promise<Member> {
    const create = (email: string | undefined) =>
      members.create({
        username: input.username,
        displayName: input.displayName,
        passwordHash: input.passwordHash,
        email,
      });
    try {
      return (await create(input.email ?? undefined)).member;
    } catch (error) {
      if (error instanceof DomainError && error.message === EMAIL_TAKEN) {
        return (await create(undefined)).member;
      }
      if (error instanceof DomainError && error.code === "conflict") {
        throw new JoinRefused({ errors: { username: "taken" } });
      }
      throw error;
    }
  }

  async function apply(input: JoinInput, language: "fr" | "en"): Promise<JoinOutcome> {
    const statusToken = generateToken();
    try {
      const [application] = await db
        .insert(registrationApplications)
        .values({
          id: randomUUID(),
          username: input.username,
          displayName: input.displayName,
          email: input.email,
          passwordHash: await deps.passwords.hash(input.password),
          reason: input.reason,
          charterAcceptedAt: new Date(),
          statusTokenHash: hashToken(statusToken),
          language,
        })
        .returning();
      if (!application) throw new Error("application vanished after insert");
      return { kind: "application", application, statusToken };
    } catch (error) {
      // Two applications for one name at once: the partial unique index keeps one.
      if (isUniqueViolation(error)) throw new JoinRefused({ errors: { username: "taken" } });
      throw error;
    }
  }

  async function decide(id: string, decidedBy: string, decision: ApplicationDecision) {
    const [decided] = await db
      .update(registrationApplications)
      .set({
        status: decision.status,
        decidedBy,
        decidedAt: new Date(),
        refusalReason: decision.status === "refused" ? decision.reason : null,
      })
      .where(
        and(eq(registrationApplications.id, id), eq(registrationApplications.status, "pending")),
      )
      .returning();
    if (!decided)
      throw new DomainError(
        "not_found",
        "No pending application with this id: it may have been decided already.",
      );
    await tellApplicant(decided, decision).catch((error: unknown) =>
      deps.logger.error({ err: error, application: decided.id }, "telling the applicant failed"),
    );
    return decided;
  }

  async function findPending(id: string): Promise<Application> {
    const [application] = await db
      .select()
      .from(registrationApplications)
      .where(
        and(eq(registrationApplications.id, id), eq(registrationApplications.status, "pending")),
      );
    if (!application) {
      throw new DomainError(
        "not_found",
        "No pending application with this id: it may have been decided already.",
      );
    }
    return application;
  }

  return {
    async join(form, options) {
      const { registrationMode: mode } = await deps.profile.get();
      if (mode === "closed") throw new JoinRefused({ door: "closed" });
      const code = options.invitationCode;
      if (mode === "invite" && !code) throw new JoinRefused({ door: "invitation_needed" });
      const invited = code !== undefined;
      const checked = checkJoinForm(form, { reasonRequired: mode === "request" && !invited });
      if (!checked.ok) throw new JoinRefused({ errors: checked.errors });
      const input = checked.value;
      const taken = await nameTaken(input.username);
      if (taken) throw new JoinRefused({ errors: { username: taken } });
      if (mode === "request" && !invited) return apply(input, options.language);

      // An invitation is used once per sign-up, and given back if the sign-up fails.
      let invitationId: string | undefined;
      if (code !== undefined) {
        const used = await deps.invitations.use(code);
        if (!used.ok) throw new JoinRefused({ door: used.problem });
        invitationId = used.invitation.id;
      }
      try {
        const passwordHash = await deps.passwords.hash(input.password);
        return { kind: "member", member: await createMember({ ...input, passwordHash }) };
      } catch (error) {
        if (invitationId) await deps.invitations.giveBack(invitationId);
        throw error;
      }
    },

    async statusOf(token) {
      if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
      const [application] = await db
        .select()
        .from(registrationApplications)
        .where(eq(registrationApplications.statusTokenHash, hashToken(token)));
      return application;
    },

    pending: () =>
      db
        .select()
        .from(registrationApplications)
        .where(eq(registrationApplications.status, "pending"))
        .orderBy(asc(registrationApplications.createdAt))
        .limit(500),

    async approve(id, decidedBy) {
      const application = await findPending(id);
      const member = await createMember(application).catch((error: unknown) => {
        if (error instanceof JoinRefused) {
          throw new DomainError(
            "conflict",
            `The name @${application.username} was taken meanwhile: refuse this application, saying so.`,
          );
        }
        throw error;
      });
      await decide(id, decidedBy, { status: "approved" });
      return member;
    },

    async refuse(id, decidedBy, reason) {
      const text = reason?.replace(/\r\n?/g, "\n").trim() || null;
      if (text && text.length > REFUSAL_REASON_MAX) {
        throw new DomainError(
          "invalid",
          `The reason is too long: at most ${REFUSAL_REASON_MAX} characters.`,
        );
      }
      return decide(id, decidedBy, { status: "refused", reason: text });
    },
  };
}
