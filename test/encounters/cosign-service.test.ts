import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { members } from "../../src/db/schema.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

describe(`encounters: co-signing and reactions (${databaseLabel})`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp();
    await Promise.all(
      ["bea", "antoine", "carol"].map((username) =>
        t.app.members.create({ username, password: `${username}-password-123` }),
      ),
    );
  });
  afterAll(() => t.close());

  const stateOf = async (encounterId: string, username: string) =>
    (await t.app.encounterRepository.findById(encounterId))?.participants.find(
      (p) => p.actor?.username === username,
    );

  it("a named member co-signs, then withdraws; only participants can", async () => {
    const view = await t.app.encounters.create("bea", { text: "Café", participants: ["@antoine"] });
    expect((await stateOf(view.id, "antoine"))?.cosignState).toBe("pending");

    await expect(t.app.cosign.cosign("carol", view.id)).rejects.toThrow(/names carol/);
    await t.app.cosign.cosign("antoine", view.id);
    const cosigned = await stateOf(view.id, "antoine");
    expect(cosigned?.cosignState).toBe("cosigned");
    expect(cosigned?.cosignActivityIri).toMatch(/\/activities\/announce\//);

    // Co-signing twice keeps the first co-signature.
    await t.app.cosign.cosign("antoine", view.id);
    expect((await stateOf(view.id, "antoine"))?.cosignActivityIri).toBe(
      cosigned?.cosignActivityIri,
    );

    await t.app.cosign.decline("antoine", view.id);
    expect((await stateOf(view.id, "antoine"))?.cosignState).toBe("declined");
  });

  it("refuses to co-sign a followers-only or participants-only encounter", async () => {
    for (const visibility of ["followers", "participants"] as const) {
      const view = await t.app.encounters.create("bea", {
        text: "Privé",
        participants: ["@antoine"],
        visibility,
      });
      await expect(t.app.cosign.cosign("antoine", view.id)).rejects.toThrow(
        /Only public or unlisted/,
      );
      expect((await stateOf(view.id, "antoine"))?.cosignState).toBe("pending");
    }
  });

  it("co-signs automatically for a member who asked to, only when they follow the author", async () => {
    const carol = await t.app.members.findByUsername("carol");
    const bea = await t.app.members.findByUsername("bea");
    if (!carol || !bea) throw new Error("setup failed");
    await t.app.database.db
      .update(members)
      .set({ autoCosignFromFollowed: true })
      .where(eq(members.id, carol.id));

    const beforeFollow = await t.app.encounters.create("bea", {
      text: "Un",
      participants: ["@carol"],
    });
    expect((await stateOf(beforeFollow.id, "carol"))?.cosignState).toBe("pending");

    const beaActor = await t.app.actors.findByMemberId(bea.id);
    if (!beaActor) throw new Error("setup failed");
    await t.app.follows.follow("carol", { ...beaActor, url: beaActor.url, avatarUrl: null });
    // A local follow is answered through federation; settle it here as the Accept would.
    await t.app.follows.receiveAnswer({
      targetIri: beaActor.iri,
      followerUsername: "carol",
      accepted: true,
    });

    const afterFollow = await t.app.encounters.create("bea", {
      text: "Deux",
      participants: ["@carol"],
    });
    expect((await stateOf(afterFollow.id, "carol"))?.cosignState).toBe("cosigned");
  });

  it("counts boosts and likes of others once, and a participant's boost is a co-signature", async () => {
    const view = await t.app.encounters.create("bea", {
      text: "Trois",
      participants: ["@antoine"],
    });
    const stranger = "https://remote.example/users/zoe";
    const like = {
      kind: "like" as const,
      actorIri: stranger,
      objectIri: view.iri,
      activityIri: `${stranger}#like/1`,
    };
    expect(await t.app.cosign.recordReaction(like)).toBe(true);
    expect(await t.app.cosign.recordReaction(like)).toBe(false);
    expect(
      await t.app.cosign.recordReaction({
        ...like,
        kind: "announce",
        activityIri: `${stranger}#boost/1`,
      }),
    ).toBe(true);
    let stored = await t.app.encounterRepository.findById(view.id);
    expect([stored?.likesCount, stored?.announcesCount]).toEqual([1, 1]);

    // Only the actor who liked can undo the like.
    expect(
      await t.app.cosign.undoReaction({
        actorIri: "https://other.example/u/x",
        activityIri: like.activityIri,
      }),
    ).toBe(false);
    expect(
      await t.app.cosign.undoReaction({ actorIri: stranger, activityIri: like.activityIri }),
    ).toBe(true);
    stored = await t.app.encounterRepository.findById(view.id);
    expect([stored?.likesCount, stored?.announcesCount]).toEqual([0, 1]);

    const antoineIri = t.app.urls.actor("antoine").href;
    const boost = {
      kind: "announce" as const,
      actorIri: antoineIri,
      objectIri: view.iri,
      activityIri: `${antoineIri}#b`,
    };
    expect(await t.app.cosign.recordReaction(boost)).toBe(true);
    expect((await stateOf(view.id, "antoine"))?.cosignState).toBe("cosigned");
    expect((await t.app.encounterRepository.findById(view.id))?.announcesCount).toBe(1);
    expect(
      await t.app.cosign.undoReaction({ actorIri: antoineIri, activityIri: boost.activityIri }),
    ).toBe(true);
    expect((await stateOf(view.id, "antoine"))?.cosignState).toBe("pending");
  });

  it("a participant's boost of a followers-only or participants-only encounter co-signs nothing", async () => {
    const antoineIri = t.app.urls.actor("antoine").href;
    for (const visibility of ["followers", "participants"] as const) {
      const view = await t.app.encounters.create("bea", {
        text: "Entre nous",
        participants: ["@antoine"],
        visibility,
      });
      const boost = {
        kind: "announce" as const,
        actorIri: antoineIri,
        objectIri: view.iri,
        activityIri: `${antoineIri}#boost-${visibility}`,
      };
      expect(await t.app.cosign.recordReaction(boost)).toBe(false);
      expect((await stateOf(view.id, "antoine"))?.cosignState).toBe("pending");
      expect((await t.app.encounterRepository.findById(view.id))?.announcesCount).toBe(0);
      // A like is no broadcast: a follower may still like what they were shown.
      expect(
        await t.app.cosign.recordReaction({
          ...boost,
          kind: "like",
          activityIri: `${boost.activityIri}-like`,
        }),
      ).toBe(true);
    }
  });
});
