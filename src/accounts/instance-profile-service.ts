import { inArray } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/database.ts";
import { instanceSettings } from "../db/schema.ts";

/** Who may join: anyone, on request (with the charter), with an invitation link, or nobody. */
export const REGISTRATION_MODES = ["open", "request", "invite", "closed"] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

export const INSTANCE_NAME_MAX = 100;
export const INSTANCE_DESCRIPTION_MAX = 500;
export const CHARTER_MAX = 10_000;

/** What the admin says about the instance: shown on `/`, `/about`, NodeInfo and to apps. */
export interface InstanceProfile {
  name: string;
  /** A sentence or two; empty: the pages say what Socialdapres is instead. */
  description: string;
  /** The « charte de réciprocité »: plain text, paragraphs separated by blank lines. */
  charter: string;
  registrationMode: RegistrationMode;
}

/** The admin's form, checked before it is stored. */
export const instanceProfileInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Give the instance a name.")
    .max(INSTANCE_NAME_MAX, `At most ${INSTANCE_NAME_MAX} characters.`),
  description: z
    .string()
    .trim()
    .max(INSTANCE_DESCRIPTION_MAX, `At most ${INSTANCE_DESCRIPTION_MAX} characters.`),
  charter: z
    .string()
    .transform((text) => text.replace(/\r\n?/g, "\n").trim())
    .pipe(z.string().max(CHARTER_MAX, `At most ${CHARTER_MAX} characters.`)),
  registrationMode: z.enum(REGISTRATION_MODES),
});

export interface InstanceProfileService {
  /** The profile as last read or written by this process (the defaults before the first load). */
  current(): InstanceProfile;
  /**
   * The profile, read again from the database when this process's copy is older than
   * `maxAgeMs` (another web process may have changed it).
   */
  get(): Promise<InstanceProfile>;
  /** Stores the admin's profile; every page of this process shows it at once. */
  update(input: InstanceProfile): Promise<InstanceProfile>;
}

const KEYS: Record<keyof InstanceProfile, string> = {
  name: "profile.name",
  description: "profile.description",
  charter: "profile.charter",
  registrationMode: "profile.registration_mode",
};

/**
 * The instance's profile, in `instance_settings` (one row per field, absent until the admin
 * sets it), over the configuration's defaults (`INSTANCE_NAME`; registrations closed). One per
 * app, cached in memory and refreshed on write, and at most `maxAgeMs` old otherwise.
 */
export function createInstanceProfileService(deps: {
  db: Db;
  defaults: Pick<InstanceProfile, "name"> & Partial<InstanceProfile>;
  maxAgeMs?: number;
  now?: () => number;
}): InstanceProfileService {
  const { db } = deps;
  const maxAgeMs = deps.maxAgeMs ?? 30_000;
  const now = deps.now ?? Date.now;
  const defaults: InstanceProfile = {
    description: "",
    charter: "",
    registrationMode: "closed",
    ...deps.defaults,
  };
  let cached: InstanceProfile = defaults;
  let readAt = Number.NEGATIVE_INFINITY;

  async function load(): Promise<InstanceProfile> {
    const rows = await db
      .select()
      .from(instanceSettings)
      .where(inArray(instanceSettings.key, Object.values(KEYS)));
    const stored = new Map(rows.map((row) => [row.key, row.value]));
    const mode = REGISTRATION_MODES.find((m) => m === stored.get(KEYS.registrationMode));
    cached = {
      name: stored.get(KEYS.name) || defaults.name,
      description: stored.get(KEYS.description) ?? defaults.description,
      charter: stored.get(KEYS.charter) ?? defaults.charter,
      registrationMode: mode ?? defaults.registrationMode,
    };
    readAt = now();
    return cached;
  }

  return {
    current: () => cached,
    get: () => (now() - readAt < maxAgeMs ? Promise.resolve(cached) : load()),
    async update(input) {
      const profile = instanceProfileInput.parse(input);
      const updatedAt = new Date();
      await db.transaction(async (tx) => {
        for (const field of Object.keys(KEYS) as Array<keyof InstanceProfile>) {
          const value = profile[field];
          await tx
            .insert(instanceSettings)
            .values({ key: KEYS[field], value, updatedAt })
            .onConflictDoUpdate({ target: instanceSettings.key, set: { value, updatedAt } });
        }
      });
      return load();
    },
  };
}
