import type { Db } from "../db/database.ts";
import type { Mailer } from "../mail/mailer.ts";
import type { Logger } from "../shared/logger.ts";
import {
  createInstanceProfileService,
  type InstanceProfileService,
} from "./instance-profile-service.ts";
import { createInvitationsService, type InvitationsService } from "./invitations-service.ts";
import type { MembersService } from "./members-service.ts";
import type { PasswordHashing } from "./passwords.ts";
import {
  createRegistrationsService,
  type RegistrationsService,
  type TellApplicant,
} from "./registrations-service.ts";
import { createRolesService, type RolesService } from "./roles-service.ts";

/** Running a community: who it is, who may join and how, who runs it. */
export interface CommunityServices {
  /** The instance's name, description, charter and registration mode, as the admin set them. */
  instanceProfile: InstanceProfileService;
  /** Admins, moderators and members; the admin's list of members. */
  roles: RolesService;
  /** Sign-up at /join: accounts at once, or applications to review. */
  registrations: RegistrationsService;
  /** Invitation links made by admins. */
  invitations: InvitationsService;
}

export function buildCommunityServices(deps: {
  db: Db;
  members: MembersService;
  passwords: PasswordHashing;
  /** The configuration's instance name: the profile's default until the admin sets one. */
  instanceName: string;
  /** How applicants hear of the decision; by default an e-mail when they gave an address. */
  tellApplicant?: TellApplicant;
  mailer: Pick<Mailer, "applicationDecided">;
  /** The instance's origin, for the links in the e-mails. */
  origin: URL;
  logger: Logger;
}): CommunityServices {
  const { db, members } = deps;
  const instanceProfile = createInstanceProfileService({
    db,
    defaults: { name: deps.instanceName },
  });
  const invitations = createInvitationsService({ db });
  return {
    instanceProfile,
    roles: createRolesService({ db, findByUsername: members.findByUsername }),
    invitations,
    registrations: createRegistrationsService({
      db,
      members,
      passwords: deps.passwords,
      invitations,
      profile: instanceProfile,
      tellApplicant: deps.tellApplicant ?? mailingApplicants(deps.mailer, deps.origin),
      logger: deps.logger.child({ component: "registrations" }),
    }),
  };
}

/**
 * The applicant hears of the decision by e-mail when they gave an address (and SMTP is set:
 * otherwise the mailer sends nothing, and their status page says it). The mail links to the
 * log-in page once approved; only the digest of their status link is stored.
 */
export function mailingApplicants(
  mailer: Pick<Mailer, "applicationDecided">,
  origin: URL,
): TellApplicant {
  return async (application, decision) => {
    if (!application.email) return;
    const approved = decision.status === "approved";
    mailer.applicationDecided({
      to: application.email,
      lang: application.language === "en" ? "en" : "fr",
      username: application.username,
      approved,
      reason: decision.status === "refused" ? (decision.reason ?? undefined) : undefined,
      statusUrl: new URL(approved ? "/login" : "/about", origin).href,
    });
  };
}
