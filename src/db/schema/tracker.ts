import {
  boolean,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  real,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";
import { encounterParticipants, encounters } from "./encounters.ts";

/*
 * The private exposure tracker. Everything here belongs to one member and
 * never leaves the instance: no ActivityPub payload, public page, log line or
 * admin view reads these tables. Kept apart from `encounters` on purpose, so
 * that nothing that renders an encounter can pick a private field up by accident.
 */

export const SETTINGS = ["outdoors", "ventilated", "indoors"] as const;
export const DISTANCES = ["close", "one_metre", "two_metres", "three_metres"] as const;
export const MASKS = ["none", "cloth", "surgical", "ffp2"] as const;
export const VOICES = ["quiet", "normal", "loud"] as const;
export const CIRCLES = ["intimate", "close", "friends", "weak_tie"] as const;

/** The private side of one encounter, written by its author only. */
export const encounterPrivate = pgTable(
  "encounter_private",
  {
    encounterId: uuid("encounter_id")
      .primaryKey()
      .references(() => encounters.id, { onDelete: "cascade" }),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    othersPresent: smallint("others_present"),
    setting: text("setting", { enum: SETTINGS }),
    durationMinutes: smallint("duration_minutes"),
    distance: text("distance", { enum: DISTANCES }),
    theirMask: text("their_mask", { enum: MASKS }),
    myMask: text("my_mask", { enum: MASKS }),
    voice: text("voice", { enum: VOICES }),
    satisfying: boolean("satisfying"),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("encounter_private_member_idx").on(t.memberId)],
);

/** The circle the author places each participant in (Dunbar's layers). */
export const participantCircles = pgTable(
  "participant_circles",
  {
    participantId: uuid("participant_id")
      .primaryKey()
      .references(() => encounterParticipants.id, { onDelete: "cascade" }),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    circle: text("circle", { enum: CIRCLES }).notNull(),
  },
  (t) => [index("participant_circles_member_idx").on(t.memberId)],
);

export const BUDGETS = ["standard", "high_caution"] as const;

/** A member's band, pandemic mode and weekly question. Absent row: the defaults. */
export const trackerSettings = pgTable("tracker_settings", {
  memberId: uuid("member_id")
    .primaryKey()
    .references(() => members.id, { onDelete: "cascade" }),
  floor: smallint("floor").notNull().default(1),
  target: smallint("target").notNull().default(3),
  ceilingRch: real("ceiling_rch").notNull().default(10),
  distinctPeopleLimit: smallint("distinct_people_limit").notNull().default(15),
  pandemicMode: boolean("pandemic_mode").notNull().default(false),
  /** Weekly cases per 100,000; null: the instance's figure, if any. */
  weeklyIncidence: real("weekly_incidence"),
  /** Share of tests that are positive, 0–1; null: the instance's figure, if any. */
  testPositivity: real("test_positivity"),
  budget: text("budget", { enum: BUDGETS }).notNull().default("standard"),
  questionEnabled: boolean("question_enabled").notNull().default(true),
  /** 0 = Sunday … 6 = Saturday, in `timeZone`. */
  questionDay: smallint("question_day").notNull().default(0),
  questionHour: smallint("question_hour").notNull().default(18),
  timeZone: text("time_zone").notNull().default("Europe/Paris"),
  /** The member's main fediverse account, once it confirmed the link. */
  linkedAccountIri: text("linked_account_iri"),
  linkedAccountConfirmedAt: timestamp("linked_account_confirmed_at", {
    withTimezone: true,
    mode: "date",
  }),
  /**
   * The linked account's latest direct Note to the instance actor (its confirmation, then
   * its latest answer): the next question replies to it, so Mastodon's notification policy
   * sees an answer in a thread the member started rather than an unsolicited private mention.
   */
  linkedAccountThreadIri: text("linked_account_thread_iri"),
  /** Whether the acknowledgement of a direct answer also tells this week's status (private). */
  acknowledgeWithStatus: boolean("acknowledge_with_status").notNull().default(false),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/** One weekly question asked: the row is the lock that makes it exactly once per week. */
export const weeklyQuestions = pgTable(
  "weekly_questions",
  {
    id: uuid("id").primaryKey(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    /** The Monday that starts the week asked about, in the member's time zone. */
    weekStart: date("week_start", { mode: "string" }).notNull(),
    /** The direct messages sent, so a reply can be matched to its question. */
    noteIris: text("note_iris").array().notNull().default([]),
    askedAt: timestamp("asked_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /**
     * The linked account this week's question went to, if any: an account linked (or
     * changed) after the question is asked too, once.
     */
    linkedAccountIri: text("linked_account_iri"),
    /** When the member last asked for the question again (at most once an hour). */
    reaskedAt: timestamp("reasked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("weekly_questions_once_idx").on(t.memberId, t.weekStart)],
);

export const CHECKIN_ANSWERS = ["yes", "no"] as const;

/** A member's answer to the weekly question. */
export const weeklyCheckins = pgTable(
  "weekly_checkins",
  {
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    weekStart: date("week_start", { mode: "string" }).notNull(),
    answer: text("answer", { enum: CHECKIN_ANSWERS }).notNull(),
    /** "oui 2": how many satisfying encounters, when the member said. */
    count: integer("count"),
    source: text("source", { enum: ["direct_message", "web", "api"] }).notNull(),
    answeredAt: timestamp("answered_at", { withTimezone: true, mode: "date" })
      .notNull()
      .defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.memberId, t.weekStart] })],
);
