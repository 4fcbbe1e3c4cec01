import { Follow, isActor } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";
import { type Recorder, startRecorder } from "../support/recording-server.ts";

type Json = Record<string, unknown>;

/**
 * The heart of Socialdapres, end to end over real HTTP with real signatures:
 * bea@A names antoine@B; B stores it and notifies antoine; rita (on a third
 * server, following antoine) sees it only once antoine co-signs.
 */
describe(`witnessing an encounter across instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let rita: Recorder;
  let noteIri: string;
  let encounterId: string;

  const objectIdOf = (json: Json) => {
    const object = json.object;
    return typeof object === "string"
      ? object
      : ((object as Json | undefined)?.id as string | undefined);
  };
  const ritaGot = (type: string, objectId: string) =>
    rita.received.filter((r) => r.type === type && objectIdOf(r.json) === objectId);
  const onB = () => b.app.encounterRepository.findByIri(noteIri);

  beforeAll(async () => {
    [a, b, rita] = await Promise.all([
      buildTestApp({ listen: true }),
      buildTestApp({ listen: true }),
      startRecorder(),
    ]);
    await Promise.all([
      a.app.members.create({ username: "bea", password: "bea-password-123" }),
      b.app.members.create({ username: "antoine", password: "antoine-password-1" }),
    ]);
    // rita follows antoine@B with a real signed Follow.
    const ctx = rita.federation.createContext(new URL(rita.origin), undefined);
    const antoine = await ctx.lookupObject(b.app.urls.actor("antoine").href);
    if (!isActor(antoine) || !antoine.id) throw new Error("antoine not found");
    await ctx.sendActivity(
      { identifier: "rita" },
      antoine,
      new Follow({
        id: new URL("/follows/antoine", rita.origin),
        actor: new URL(rita.actorIri),
        object: antoine.id,
      }),
    );
    await eventually(
      async () => (await b.app.follows.followState(rita.actorIri, "antoine")) === "accepted",
      {
        what: "B to accept rita",
      },
    );
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), rita?.app.close()]);
  });

  it("bea@A names antoine@B: B stores the encounter and notifies antoine; rita sees nothing yet", async () => {
    const view = await a.app.encounters.create("bea", {
      text: "Heureuse d'avoir croisé Antoine du mouvement Barbares",
      participants: [b.app.urls.actor("antoine").href, "Marie"],
      keywords: ["BrightMirror"],
      details: { howTheyAre: "Il va bien." },
    });
    noteIri = view.iri;
    encounterId = view.id;

    const stored = await eventually(onB, { what: "B to store the encounter" });
    expect(stored).toMatchObject({
      isLocal: false,
      keywords: ["BrightMirror"],
      visibility: "public",
    });
    expect(stored.text).toContain("Heureuse d'avoir croisé Antoine");
    expect(stored.participants.map((p) => p.actor?.iri).filter(Boolean)).toEqual([
      b.app.urls.actor("antoine").href,
    ]);
    const notified = await b.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from notifications where encounter_id = ${stored.id}`,
    );
    expect(notified[0]?.n).toBe(1);

    // Whatever A and B were going to send about it has been sent.
    await drainQueue(a.app, b.app);
    expect(ritaGot("Create", noteIri)).toHaveLength(0);
    expect(ritaGot("Announce", noteIri)).toHaveLength(0);
  });

  it("antoine co-signs on B: rita receives the Announce, and A records the co-signature", async () => {
    const stored = await onB();
    if (!stored) throw new Error("setup failed");
    await b.app.cosign.cosign("antoine", stored.id);

    const [announce] = await eventually(
      () => {
        const got = ritaGot("Announce", noteIri);
        return got.length > 0 ? got : undefined;
      },
      { what: "rita to receive the co-signature" },
    );
    expect(announce?.actor).toBe(b.app.urls.actor("antoine").href);

    await eventually(
      async () =>
        (await a.app.encounterRepository.findById(encounterId))?.participants.find(
          (p) => p.actor?.iri === b.app.urls.actor("antoine").href,
        )?.cosignState === "cosigned",
      { what: "A to record antoine's co-signature" },
    );
  });

  it("an edit and a deletion by bea reach B", async () => {
    await a.app.encounters.update("bea", encounterId, { text: "Texte corrigé" });
    await eventually(async () => (await onB())?.text.includes("Texte corrigé"), {
      what: "B to apply the Update",
    });
    await a.app.encounters.delete("bea", encounterId);
    await eventually(async () => (await onB())?.deletedAt instanceof Date, {
      what: "B to apply the Delete",
    });
  });

  it("withdrawing a co-signature sends Undo(Announce)", async () => {
    const view = await a.app.encounters.create("bea", {
      text: "Deuxième rencontre",
      participants: [b.app.urls.actor("antoine").href],
    });
    const stored = await eventually(() => b.app.encounterRepository.findByIri(view.iri));
    await b.app.cosign.cosign("antoine", stored.id);
    await eventually(() => ritaGot("Announce", view.iri).length > 0);
    await b.app.cosign.decline("antoine", stored.id);
    await eventually(
      () =>
        rita.received.some(
          (r) => r.type === "Undo" && objectIdOf((r.json.object as Json) ?? {}) === view.iri,
        ),
      { what: "rita to receive the Undo(Announce)" },
    );
    await eventually(
      async () =>
        (await a.app.encounterRepository.findById(view.id))?.participants[0]?.cosignState ===
        "pending",
      { what: "A to withdraw antoine's co-signature" },
    );
  });
});
