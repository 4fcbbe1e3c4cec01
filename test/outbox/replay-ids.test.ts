import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import type { DomainEvent } from "../../src/shared/events.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";
import { type Recorder, startRecorder } from "../support/recording-server.ts";
import { insertRemoteEncounter } from "../support/remote-encounter.ts";

/** The id of the activity an event sends, as the event itself decides it. */
function activityIdOf(event: DomainEvent, noteIri: (encounterId: string) => string): string {
  switch (event.type) {
    case "encounter.created":
      return `${noteIri(event.encounterId)}/activity`;
    case "encounter.cosign_withdrawn":
    case "encounter.unliked":
    case "follow.undone":
      return event.undoActivityIri;
    case "tracker.erased":
      throw new Error("the tracker's events send no activity");
    case "direct_message.sent":
      return `${event.message.noteIri}/activity`;
    default:
      return event.activityIri;
  }
}

/**
 * Every kind of event, replayed as a relay replays the event of a process that died
 * (its row back in `outbox_events`, its lease run out), sends the very activity it
 * sent the first time: the same ids, so receivers recognise it.
 */
describe(`a replayed event sends the same activity (${databaseLabel})`, () => {
  let a: TestApp;
  let rec: Recorder;
  let rita: RemoteActorRecord;
  const captured: DomainEvent[] = [];

  beforeAll(async () => {
    [a, rec] = await Promise.all([
      buildTestApp({ listen: true, outbox: { pollIntervalMs: 50 } }),
      startRecorder(),
    ]);
    await a.app.members.create({ username: "bea", password: "bea-password-123" });
    await a.app.members.create({ username: "antoine", password: "antoine-password-1" });
    await a.app.members.create({
      username: "carol",
      password: "carol-password-12",
      manuallyApprovesFollowers: true,
    });
    rita = await a.app.remoteLookup.lookupActor(rec.actorIri);
    a.app.events.subscribe(
      (event) => {
        captured.push(event);
      },
      { first: true },
    );
  });
  afterAll(async () => {
    await Promise.all([a?.close(), rec?.app.close()]);
  });

  const noteIri = (encounterId: string) => a.app.urls.encounter("bea", encounterId).href;
  const ids = (deliveries: Recorder["deliveries"]) => deliveries.map((d) => d.id).toSorted();

  /** Writes the events back as a dead writer would have left them, and waits for the relay. */
  async function replay(events: DomainEvent[]) {
    for (const { type, ...payload } of events) {
      await a.app.database.rows(sql`
        insert into outbox_events (type, payload, locked_until)
        values (${type}, ${JSON.stringify(payload)}::jsonb, now() - interval '1 second')`);
    }
    await eventually(
      async () =>
        (
          await a.app.database.rows<{ n: number }>(
            sql`select count(*)::int as n from outbox_events`,
          )
        )[0]?.n === 0,
      { what: "the relay to replay the events" },
    );
    await drainQueue(a.app);
  }

  async function deliveredBy(act: () => Promise<void>) {
    const from = rec.deliveries.length;
    await act();
    await drainQueue(a.app);
    return rec.deliveries.slice(from);
  }

  it("for every kind of event", async () => {
    let encounterId = "";
    const first = await deliveredBy(async () => {
      const follow = (username: string, n: number) =>
        a.app.follows.receiveFollow({
          follower: rita,
          username,
          activityIri: `${rec.origin}/follows/${n}`,
        });
      await follow("bea", 1);
      await follow("antoine", 2);
      await follow("carol", 3);
      await a.app.follows.rejectFollower("carol", rec.actorIri);
      await a.app.follows.follow("bea", rita);
      await a.app.follows.unfollow("bea", rec.actorIri);
      ({ id: encounterId } = await a.app.encounters.create("bea", {
        text: "Au marché avec Rita et Antoine",
        participants: [rec.actorIri, a.app.urls.actor("antoine").href],
        visibility: "public",
      }));
      await a.app.encounters.update("bea", encounterId, { text: "Au marché, avec Rita" });
      await a.app.cosign.cosign("antoine", encounterId);
      await a.app.cosign.decline("antoine", encounterId);
      const ritaRow = await a.app.actors.findByIri(rec.actorIri);
      if (!ritaRow) throw new Error("rita is not stored");
      const ritas = await insertRemoteEncounter(a.app, ritaRow);
      await a.app.likes.likeEncounter("bea", ritas);
      await a.app.likes.unlikeEncounter("bea", ritas);
      const bea = await a.app.members.findByUsername("bea");
      if (!bea) throw new Error("no bea");
      await a.app.weeklyQuestions.requestLink(bea, rec.actorIri);
    });
    expect(new Set(captured.map((e) => e.type))).toEqual(
      new Set([
        "follower.accepted",
        "follower.rejected",
        "follow.requested",
        "follow.undone",
        "encounter.created",
        "encounter.updated",
        "encounter.cosigned",
        "encounter.cosign_withdrawn",
        "encounter.liked",
        "encounter.unliked",
        "direct_message.sent",
      ]),
    );
    expect(ids(first)).toEqual(captured.map((e) => activityIdOf(e, noteIri)).toSorted());

    const events = captured.splice(0);
    const again = await deliveredBy(() => replay(events));
    expect(ids(again)).toEqual(ids(first));
    // The subscribers heard the replayed events as they heard them the first time.
    expect(captured.splice(0)).toEqual(events);
    expect(again.map((d) => d.type).toSorted()).toEqual(first.map((d) => d.type).toSorted());

    // Once the encounter is deleted, its Delete is replayed as it was sent; a Create or an
    // Update replayed after the deletion sends nothing: the Delete said it all.
    const created = { type: "encounter.created", encounterId } as const;
    const deletion = await deliveredBy(() => a.app.encounters.delete("bea", encounterId));
    expect(deletion.map((d) => d.type)).toEqual(["Delete"]);
    const [deleted] = captured.splice(0);
    if (deleted?.type !== "encounter.deleted") throw new Error("no encounter.deleted event");
    expect(deletion.map((d) => d.id)).toEqual([deleted.activityIri]);
    const replayed = await deliveredBy(() => replay([created, deleted]));
    expect(replayed).toEqual(deletion);
  }, 60_000);

  it("role web dispatches what it records but replays nothing: the workers do", async () => {
    const web = await buildTestApp({ role: "web", listen: true, outbox: { pollIntervalMs: 20 } });
    try {
      await web.app.members.create({ username: "bea", password: "bea-password-123" });
      const heard: DomainEvent[] = [];
      web.app.events.subscribe((event) => {
        heard.push(event);
      });
      await web.app.follows.follow("bea", rita);
      expect(heard.map((e) => e.type)).toEqual(["follow.requested"]);
      // The same event a dead writer left, on the web instance and on one that relays (role
      // all, a slower poll): by the time that one has replayed it, a relay in the web
      // process would have replayed it too.
      const leftByADeadWriter = sql`
        insert into outbox_events (type, payload, locked_until)
        values ('encounter.created', '{"encounterId":"x"}'::jsonb, now() - interval '1 second')`;
      const replayedByA = captured.length;
      await web.app.database.rows(leftByADeadWriter);
      await a.app.database.rows(leftByADeadWriter);
      await drainQueue(a.app);
      expect(captured.slice(replayedByA)).toEqual([
        { type: "encounter.created", encounterId: "x" },
      ]);
      const left = await web.app.database.rows<{ type: string }>(
        sql`select type from outbox_events`,
      );
      expect(left).toEqual([{ type: "encounter.created" }]);
      expect(heard).toHaveLength(1);
    } finally {
      await web.close();
    }
  });
});
