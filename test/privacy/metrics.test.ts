import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, client, postEncounter } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { capturingLogger } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { noLeakOf, PRIVATE_FIELD_LEAKS, PRIVATE_FIELDS } from "../support/leaks.ts";
import { scrape } from "../support/prometheus.ts";
import { drainQueue } from "../support/queue.ts";

const TOKEN = "metrics-privacy-token-9f8e7d6c5b4a";

/*
 * What /metrics shows an operator after two instances worked together (a follow, an
 * encounter naming a member of the other instance with every private field set, a refused
 * log-in, a member's page and API calls): counts, routes and hosts, never a member's name,
 * handle, e-mail, token or a tracker value. The instances log as in production (info).
 */
describe(`metrics hold nothing private (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let beaToken: string;

  beforeAll(async () => {
    const instance = () =>
      buildTestApp({
        listen: true,
        metricsToken: TOKEN,
        logLevel: "info",
        logger: capturingLogger("info").logger,
      });
    [a, b] = await Promise.all([instance(), instance()]);
    await a.app.members.create({ username: "zelphine", password: "zelphine-password-123" });
    await b.app.members.create({ username: "quirinus", password: "quirinus-password-123" });
    beaToken = await a.app.members.createToken("zelphine", "test");
  });
  afterAll(async () => {
    if (a && b) await drainQueue(a.app, b.app);
    await Promise.all([a?.close(), b?.close()]);
  });

  it("names no member, handle, e-mail, token or tracker value", async () => {
    await b.app.follows.followIri("quirinus", a.app.urls.actor("zelphine").href);
    await eventually(
      async () =>
        (await a.app.follows.followState(b.app.urls.actor("quirinus").href, "zelphine")) ===
        "accepted",
      { what: "zelphine to accept quirinus" },
    );
    const zelphine = client(a.app, beaToken);
    const { id } = await postEncounter(zelphine, {
      text: "Un café au marché",
      participants: [b.app.urls.actor("quirinus").href, "Marguerite"],
    });
    const put = await zelphine({
      method: "PUT",
      url: `${API}/encounters/${id}/private`,
      payload: { ...PRIVATE_FIELDS, circles: [{ position: 0, circle: "intimate" }] },
    });
    expect(put.statusCode, put.body).toBe(200);
    await a.app.http.inject({ method: "GET", url: "/@zelphine" });
    await a.app.http.inject({ method: "GET", url: `/@zelphine/${id}` });
    await a.app.http.inject({ method: "GET", url: "/users/zelphine/outbox?page=true" });
    await a.app.http.inject({
      method: "POST",
      url: "/login",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "username=zelphine&password=wrong-password-zz",
    });
    await a.app.http.inject({
      method: "GET",
      url: `${API}/me`,
      headers: { authorization: "Bearer not-a-real-token-Kq7" },
    });
    await drainQueue(a.app, b.app);

    const expectNoLeak = noLeakOf([
      /zelphine/i,
      /quirinus/i,
      /Marguerite/,
      /@[\w.-]+@/,
      ...PRIVATE_FIELD_LEAKS,
      /Kq7/,
      /wrong-password/,
      new RegExp(beaToken),
      new RegExp(TOKEN),
      new RegExp(id),
    ]);
    for (const [name, t] of [
      ["A", a],
      ["B", b],
    ] as const) {
      const { text, samples } = await scrape(t.app, TOKEN);
      expect(samples.length).toBeGreaterThan(0);
      expectNoLeak(`/metrics of ${name}`, text);
    }
  });
});
