import type { Db } from "../db/database.ts";
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
  tellApplicant?: TellApplicant;
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
      tellApplicant: deps.tellApplicant,
      logger: deps.logger.child({ component: "registrations" }),
    }),
  };
}
