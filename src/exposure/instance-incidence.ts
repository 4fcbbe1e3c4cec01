import { eq, inArray } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { instanceSettings } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";

/**
 * The local epidemic figures the instance admin sets once for everybody
 * (`npm run cli -- tracker incidence …`); a member's own figures win.
 */
export interface InstanceIncidence {
  weeklyIncidence: number | null;
  testPositivity: number | null;
}

export interface InstanceIncidenceStore {
  get(): Promise<InstanceIncidence>;
  set(figures: InstanceIncidence): Promise<void>;
}

const KEYS = { weeklyIncidence: "weekly_incidence", testPositivity: "test_positivity" } as const;

export function createInstanceIncidenceStore(db: Db): InstanceIncidenceStore {
  return {
    async get() {
      const rows = await db
        .select()
        .from(instanceSettings)
        .where(inArray(instanceSettings.key, Object.values(KEYS)));
      const value = (key: string) => {
        const raw = rows.find((r) => r.key === key)?.value;
        return raw === undefined ? null : Number(raw);
      };
      return {
        weeklyIncidence: value(KEYS.weeklyIncidence),
        testPositivity: value(KEYS.testPositivity),
      };
    },
    async set(figures) {
      if (
        figures.weeklyIncidence !== null &&
        !(figures.weeklyIncidence >= 0 && figures.weeklyIncidence <= 100_000)
      ) {
        throw new DomainError(
          "invalid",
          "The weekly incidence is a number of cases per 100,000 people, from 0 to 100000.",
        );
      }
      if (
        figures.testPositivity !== null &&
        !(figures.testPositivity >= 0 && figures.testPositivity <= 1)
      ) {
        throw new DomainError(
          "invalid",
          "The test positivity is a share from 0 to 1 (0.08 for 8 %).",
        );
      }
      for (const [field, key] of Object.entries(KEYS) as Array<[keyof InstanceIncidence, string]>) {
        const figure = figures[field];
        if (figure === null) {
          await db.delete(instanceSettings).where(eq(instanceSettings.key, key));
        } else {
          await db
            .insert(instanceSettings)
            .values({ key, value: String(figure) })
            .onConflictDoUpdate({
              target: instanceSettings.key,
              set: { value: String(figure), updatedAt: new Date() },
            });
        }
      }
    },
  };
}
