import { eq } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { trackerSettings } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import { isValidTimeZone } from "./model/weeks.ts";
import { readTrackerSettings, type TrackerSettings } from "./tracker-repository.ts";

/** What a member may change; the linked account has its own flow (link, confirm, unlink). */
export type TrackerSettingsPatch = Partial<
  Omit<TrackerSettings, "linkedAccountIri" | "linkedAccountConfirmedAt" | "linkedAccountThreadIri">
>;

export interface TrackerSettingsView
  extends Omit<TrackerSettings, "linkedAccountConfirmedAt" | "linkedAccountThreadIri"> {
  linkedAccountConfirmed: boolean;
}

export type TrackerSettingsService = ReturnType<typeof createTrackerSettingsService>;

/** A member's band, pandemic mode and weekly question; absent row: the defaults of DESIGN.md. */
export function createTrackerSettingsService(deps: { db: Db; now?: () => Date }) {
  const { db } = deps;
  const clock = deps.now ?? (() => new Date());

  const current = (memberId: string): Promise<TrackerSettings> => readTrackerSettings(db, memberId);

  const view = ({
    linkedAccountConfirmedAt,
    linkedAccountThreadIri: _thread,
    ...rest
  }: TrackerSettings): TrackerSettingsView => ({
    ...rest,
    linkedAccountConfirmed: linkedAccountConfirmedAt !== null,
  });

  return {
    /** The settings as stored (defaults where none), for the services of the tracker. */
    read: current,

    /**
     * The member's main fediverse account, unconfirmed (confirmedAt null) or confirmed; null
     * unlinks. `threadIri`: the account's Note that confirmed it, which the next question answers.
     */
    async setLinkedAccount(
      memberId: string,
      link: { iri: string | null; confirmedAt: Date | null; threadIri?: string | null },
    ): Promise<void> {
      const values = {
        linkedAccountIri: link.iri,
        linkedAccountConfirmedAt: link.iri ? link.confirmedAt : null,
        linkedAccountThreadIri: link.iri && link.confirmedAt ? (link.threadIri ?? null) : null,
        updatedAt: clock(),
      };
      await db
        .insert(trackerSettings)
        .values({ memberId, ...values })
        .onConflictDoUpdate({ target: trackerSettings.memberId, set: values });
    },

    /** The linked account's latest direct Note to us: the next message replies to it. */
    async setThread(memberId: string, threadIri: string): Promise<void> {
      await db
        .update(trackerSettings)
        .set({ linkedAccountThreadIri: threadIri })
        .where(eq(trackerSettings.memberId, memberId));
    },

    async get(memberId: string): Promise<TrackerSettingsView> {
      return view(await current(memberId));
    },

    /** Checks the merged settings as a whole (the edge checked each field), then saves them. */
    async update(memberId: string, patch: TrackerSettingsPatch): Promise<TrackerSettingsView> {
      const merged = { ...(await current(memberId)), ...patch };
      if (patch.timeZone !== undefined && !isValidTimeZone(patch.timeZone)) {
        throw new DomainError(
          "invalid",
          `timeZone: "${patch.timeZone}" is not a time zone; use an IANA name such as Europe/Paris.`,
          { field: "timeZone" },
        );
      }
      if (merged.target < merged.floor) {
        throw new DomainError(
          "invalid",
          `target (${merged.target}) must be at least floor (${merged.floor}): raise target or lower floor.`,
          { field: "target" },
        );
      }
      const values = { ...patch, updatedAt: clock() };
      await db
        .insert(trackerSettings)
        .values({ memberId, ...values })
        .onConflictDoUpdate({ target: trackerSettings.memberId, set: values });
      return view(await current(memberId));
    },
  };
}
