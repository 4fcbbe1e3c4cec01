import type { CIRCLES } from "../../db/schema/tracker.ts";

/*
 * "Last seen": when the member last met each person, and who of their inner
 * circles (Dunbar's layers) they have not seen for a while. Pure: the caller
 * passes the encounters and the circles it read.
 */

export type Circle = (typeof CIRCLES)[number];

/** Someone met: a fediverse actor, or a plain name for someone without an account. */
export interface PersonRef {
  actorIri?: string | null;
  plainName?: string | null;
}

/**
 * A stable key for a person: the actor IRI, else the plain name trimmed,
 * with inner spaces collapsed and lower-cased (so "Léa" and " léa " are one
 * person). Null when the participant has neither.
 */
export function personKey(person: PersonRef): string | null {
  if (person.actorIri) return `actor:${person.actorIri}`;
  const name = person.plainName?.trim().replace(/\s+/g, " ").toLowerCase();
  return name ? `name:${name}` : null;
}

/** Days after which an unseen person of a circle is pointed out. */
export const REMINDER_DAYS: Readonly<Partial<Record<Circle, number>>> = {
  intimate: 7,
  close: 30,
};

export interface SeenParticipant extends PersonRef {
  /** The circle the member placed this participant in, on this encounter. */
  circle?: Circle | null;
}

export interface SeenEncounter {
  occurredAt: Date;
  participants: readonly SeenParticipant[];
}

export interface LastSeen {
  key: string;
  actorIri: string | null;
  plainName: string | null;
  /** The circle set on the most recent encounter that set one. */
  circle: Circle | null;
  lastSeen: Date;
  /** Whole days elapsed since `lastSeen`. */
  daysSince: number;
  /** Intimate not seen for 7 days or more, close for 30 days or more. */
  reminder: boolean;
}

const MS_PER_DAY = 86_400_000;

/** Each person's last encounter, the longest unseen first; encounters after `now` are ignored. */
export function lastSeenList(encounters: readonly SeenEncounter[], now: Date): LastSeen[] {
  const people = new Map<
    string,
    { person: SeenParticipant; last: Date; circle: Circle | null; circleAt: number }
  >();
  for (const encounter of encounters) {
    const at = encounter.occurredAt.getTime();
    if (at > now.getTime()) continue;
    for (const participant of encounter.participants) {
      const key = personKey(participant);
      if (!key) continue;
      const entry = people.get(key) ?? {
        person: participant,
        last: encounter.occurredAt,
        circle: null,
        circleAt: -Infinity,
      };
      if (at >= entry.last.getTime()) {
        entry.last = encounter.occurredAt;
        entry.person = participant;
      }
      if (participant.circle && at >= entry.circleAt) {
        entry.circle = participant.circle;
        entry.circleAt = at;
      }
      people.set(key, entry);
    }
  }
  const list: LastSeen[] = [];
  for (const [key, { person, last, circle }] of people) {
    const elapsed = now.getTime() - last.getTime();
    const limit = circle ? REMINDER_DAYS[circle] : undefined;
    list.push({
      key,
      actorIri: person.actorIri ?? null,
      plainName: person.plainName ?? null,
      circle,
      lastSeen: last,
      daysSince: Math.floor(elapsed / MS_PER_DAY),
      reminder: limit !== undefined && elapsed >= limit * MS_PER_DAY,
    });
  }
  return list.sort((a, b) => a.lastSeen.getTime() - b.lastSeen.getTime());
}

/** Only the people to be pointed out. */
export function reminders(encounters: readonly SeenEncounter[], now: Date): LastSeen[] {
  return lastSeenList(encounters, now).filter((p) => p.reminder);
}
