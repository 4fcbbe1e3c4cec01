import { Create, Follow, isActor, Note } from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { weekStartOf } from "../../src/exposure/model/weeks.ts";
import { AP, client, membersWithTokens, PUBLIC } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";
import { type Received, type Recorder, startRecorder } from "../support/recording-server.ts";
import { WebClient } from "../support/web.ts";

type Json = Record<string, unknown>;
const list = (value: unknown) =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * The weekly question between two instances on loopback: A (bea's) and a recorder (rita's
 * account, which bea links). Each message's exact shape — addressing, thread, mentions,
 * content and language — is pinned, as Mastodon's notification policy reads them
 * (docs/EXPOSURE.md): every message after the link request answers rita's own latest
 * private Note, so it is a reply in a thread she started.
 */
describe(`the weekly question to a linked fediverse account (${databaseLabel})`, () => {
  let a: TestApp;
  let rita: Recorder;
  let stranger: Recorder;
  let api: ReturnType<typeof client>;
  let beaId: string;
  let replies = 0;
  let instanceIri: string;
  /** rita's latest private Note to A: what the next message must answer. */
  let ritaLatest: string;

  beforeAll(async () => {
    [a, rita, stranger] = await Promise.all([
      buildTestApp({ listen: true }),
      startRecorder(),
      startRecorder(),
    ]);
    // The test drives the question with its own clock; the real-time loop stays out of the way.
    await a.app.weeklyQuestionScheduler.stop();
    const tokens = await membersWithTokens(a.app, ["bea"]);
    api = client(a.app, tokens.bea as string);
    beaId = (await a.app.members.findByUsername("bea"))?.id as string;
    instanceIri = a.app.urls.actor("instance").href;
  });
  afterAll(async () => {
    await Promise.all([a?.close(), rita?.app.close(), stranger?.app.close()]);
  });

  const creates = (rec: Recorder) => rec.received.filter((r) => r.type === "Create");
  const noteOf = (r: Received) => r.json.object as Json;
  /** The `n`th Create rita received (1-based), once it arrived. */
  const nthCreate = (n: number, what: string) =>
    eventually(() => creates(rita)[n - 1], { what }).then(noteOf);

  /** A Note from `rec`'s rita to A's instance actor, replying to `inReplyTo`. */
  async function reply(
    rec: Recorder,
    inReplyTo: string,
    text: string,
    visibility: "direct" | "public" = "direct",
  ): Promise<string> {
    const ctx = rec.federation.createContext(new URL(rec.origin), undefined);
    const instance = await ctx.lookupObject(instanceIri);
    if (!isActor(instance) || !instance.id) throw new Error("no instance actor on A");
    const id = new URL(`/notes/${++replies}`, rec.origin);
    const audience =
      visibility === "direct"
        ? { to: instance.id }
        : { tos: [new URL(PUBLIC)], ccs: [instance.id] };
    await ctx.sendActivity(
      { identifier: "rita" },
      instance,
      new Create({
        id: new URL(`/creates/${replies}`, rec.origin),
        actor: new URL(rec.actorIri),
        ...audience,
        object: new Note({
          id,
          attribution: new URL(rec.actorIri),
          ...audience,
          replyTarget: new URL(inReplyTo),
          content: `<p><span class="h-card"><a href="${instance.id.href}" class="u-url mention">@<span>instance</span></a></span> ${text}</p>`,
        }),
      }),
    );
    return id.href;
  }

  const ritaMention = () =>
    `<span class="h-card"><a href="${rita.actorIri}" class="u-url mention">@<span>rita@${new URL(rita.origin).host}</span></a></span>`;

  /**
   * The exact shape of a direct message to rita: to her alone (no public, no followers, no
   * cc), her Mention (and others named), `inReplyTo`, content = contentMap.fr, a `url` on A.
   */
  function expectMessage(
    note: Json,
    shape: { inReplyTo?: string; paragraphs: string[]; link: string; mentions?: Json[] },
  ) {
    const received = creates(rita).find((c) => noteOf(c).id === note.id) as Received;
    expect(received.actor).toBe(instanceIri);
    expect(received.recipient).toBe("rita");
    for (const doc of [received.json, note]) {
      expect(list(doc.to)).toEqual([rita.actorIri]);
      expect(doc.cc).toBeUndefined();
      expect(JSON.stringify(doc)).not.toContain(PUBLIC);
      expect(JSON.stringify(doc)).not.toContain("followers");
    }
    const [first, ...rest] = shape.paragraphs;
    const html = [
      `<p>${ritaMention()} ${first}</p>`,
      ...rest.map((p) => `<p>${p}</p>`),
      `<p>${shape.link}</p>`,
    ].join("");
    expect({
      type: note.type,
      attributedTo: note.attributedTo,
      inReplyTo: note.inReplyTo,
      tag: list(note.tag),
      content: note.content,
      contentMap: note.contentMap,
      url: note.url,
    }).toEqual({
      type: "Note",
      attributedTo: instanceIri,
      inReplyTo: shape.inReplyTo,
      tag: [
        { type: "Mention", href: rita.actorIri, name: `@rita@${new URL(rita.origin).host}` },
        ...(shape.mentions ?? []),
      ],
      content: html,
      contentMap: { fr: html },
      url: shape.link.match(/href="([^"]+)"/)?.[1],
    });
    expect(String(note.id)).toMatch(
      new RegExp(`^${a.baseUrl}/activities/(weekly-question|link-request|answer)/[0-9a-f-]{36}$`),
    );
  }

  /** The last paragraph: the tracker's question form, or its linked-account section. */
  const formLink = (label: string, anchor = "question") =>
    `${label ? `${label} ` : ""}<a href="${a.baseUrl}/tracker#${anchor}">${a.baseUrl}/tracker#${anchor}</a>`;

  const checkins = () => a.app.weeklyQuestions.checkins(beaId, 10);

  /** bea's web session, through the log-in form and back to the tracker. */
  async function webLogin(): Promise<string> {
    const browser = new WebClient(a.app.http);
    const response = await browser.post("/login", {
      username: "bea",
      password: "bea-password-123",
      next: "/tracker",
    });
    expect(response.headers.location).toBe("/tracker");
    // Pages in French whatever bea's own language (a later test makes it English): the
    // language switch's cookie says so.
    return `${browser.cookieHeader}; sdp_lang=fr`;
  }

  it("a link request sends rita one direct message naming @bea as a mention; her private « oui » confirms it and gets an answer in her thread", async () => {
    const response = await api({
      method: "POST",
      url: "/api/socialdapres/v1/tracker/link",
      payload: { account: rita.actorIri },
    });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ linkedAccountIri: rita.actorIri, confirmed: false });
    const request = await nthCreate(1, "the link request");
    const bea = `@bea@${new URL(a.baseUrl).host}`;
    expectMessage(request, {
      paragraphs: [
        `Le compte <span class="h-card"><a href="${a.baseUrl}/@bea" class="u-url mention">@<span>bea@${new URL(a.baseUrl).host}</span></a></span> demande à relier ce compte-ci pour y recevoir la question de la semaine. Si c’est bien toi, réponds « oui » à ce message, en mention privée. Sinon, ignore-le : tu ne recevras rien d’autre.`,
      ],
      link: formLink("Réglages, après connexion :", "linked-account"),
      mentions: [{ type: "Mention", href: `${a.baseUrl}/users/bea`, name: bea }],
    });
    expect(request.inReplyTo).toBeUndefined();

    // Someone else answering the link request confirms nothing, and is not answered.
    await reply(stranger, String(request.id), "oui");
    ritaLatest = await reply(rita, String(request.id), "Oui !");
    await eventually(async () => (await a.app.trackerSettings.get(beaId)).linkedAccountConfirmed, {
      what: "the link to be confirmed",
    });
    expect((await a.app.trackerSettings.get(beaId)).linkedAccountIri).toBe(rita.actorIri);
    const linked = await nthCreate(2, "the answer to the confirmation");
    const host = new URL(a.baseUrl).host;
    expectMessage(linked, {
      inReplyTo: ritaLatest,
      paragraphs: [
        `C’est relié : la question de la semaine arrivera ici, dans cette conversation. Pour qu’elle apparaisse toujours dans tes notifications, abonne-toi à <span class="h-card"><a href="${a.baseUrl}/" class="u-url mention">@<span>instance@${host}</span></a></span>.`,
      ],
      link: formLink("Réglages, après connexion :", "linked-account"),
      mentions: [{ type: "Mention", href: instanceIri, name: `@instance@${host}` }],
    });
    await drainQueue(a.app);
    expect(creates(rita)).toHaveLength(2);
    expect(creates(stranger)).toHaveLength(0);
  });

  // Last week's question, asked on its Sunday evening: the tracker's status covers that week.
  const thisMonday = Temporal.PlainDate.from(weekStartOf(new Date(), "Europe/Paris"));
  const lastWeek = thisMonday.subtract({ days: 7 }).toString();
  const lastSunday = new Date(`${thisMonday.subtract({ days: 1 }).toString()}T20:00:00Z`);

  it("the scheduler asks rita in her thread; her « oui 2 » is the week's check-in, acknowledged there", async () => {
    expect(await a.app.weeklyQuestions.askDue(lastSunday)).toEqual({
      asked: 1,
    });
    const question = await nthCreate(3, "the question");
    expectMessage(question, {
      inReplyTo: ritaLatest,
      paragraphs: [
        "Durant les 7 derniers jours, as-tu fait des rencontres satisfaisantes ? Réponds « oui » (ou « oui 2 », le nombre de rencontres) ou « non » à ce message, en mention privée.",
      ],
      link: formLink("Ou réponds sur le formulaire, après connexion :"),
    });
    const [row] = await a.app.database.rows<{ note_iris: string[] }>(
      sql`select note_iris from weekly_questions where week_start = ${lastWeek}`,
    );
    expect(row?.note_iris).toHaveLength(2); // the member's own (in-app) and rita's
    expect(row?.note_iris).toContain(question.id);

    ritaLatest = await reply(rita, String(question.id), "Oui, 2 ! 🎉");
    const ack = await nthCreate(4, "the acknowledgement");
    expect(await checkins()).toMatchObject([
      { weekStart: lastWeek, answer: "yes", count: 2, source: "direct_message" },
    ]);
    // The status is private: without the member's leave, the answer does not tell it.
    expectMessage(ack, {
      inReplyTo: ritaLatest,
      paragraphs: ["Noté : 2 rencontres satisfaisantes cette semaine."],
      link: formLink("Pour corriger ou voir ton suivi :"),
    });
  });

  it("with the member's leave, the acknowledgement of « non » also tells this week's status", async () => {
    const patched = await api({
      method: "PATCH",
      url: "/api/socialdapres/v1/tracker/settings",
      payload: { acknowledgeWithStatus: true },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ acknowledgeWithStatus: true });
    expect(patched.json()).not.toHaveProperty("linkedAccountThreadIri");
    const question = String(noteOf(creates(rita)[2] as Received).id);
    ritaLatest = await reply(rita, question, "non");
    const ack = await nthCreate(5, "the acknowledgement with the status");
    expect(await checkins()).toMatchObject([{ answer: "no", count: null }]);
    // No encounter noted and a « non »: under the floor of 1, the status is « isolé·e ».
    expectMessage(ack, {
      inReplyTo: ritaLatest,
      paragraphs: [
        "Noté : pas de rencontre satisfaisante cette semaine.",
        "Ton suivi cette semaine : isolé·e.",
      ],
      link: formLink("Pour corriger ou voir ton suivi :"),
    });
    await api({
      method: "PATCH",
      url: "/api/socialdapres/v1/tracker/settings",
      payload: { acknowledgeWithStatus: false },
    });
  });

  it("a public « oui 3 » is not recorded: rita is answered privately with a warning and the form", async () => {
    const question = String(noteOf(creates(rita)[2] as Received).id);
    const publicReply = await reply(rita, question, "oui 3", "public");
    const warning = await nthCreate(6, "the warning");
    expectMessage(warning, {
      inReplyTo: publicReply,
      paragraphs: [
        "Ta réponse était visible par d’autres personnes que moi : je ne l’ai pas enregistrée, pour ne pas publier ton suivi. Réponds en mention privée (visibilité « mentionnés seulement »), ou utilise le formulaire :",
      ],
      link: formLink(""),
    });
    expect(await checkins()).toMatchObject([{ answer: "no", count: null }]);
    // A public Note is no thread to answer next time.
    const [settings] = await a.app.database.rows<{ thread: string }>(
      sql`select linked_account_thread_iri as thread from tracker_settings`,
    );
    expect(settings?.thread).toBe(ritaLatest);
  });

  it("« bonjour » gets a short direct answer with the link; another actor is ignored; nothing is an encounter", async () => {
    const questionIri = String(noteOf(creates(rita)[2] as Received).id);
    const bonjour = await reply(rita, questionIri, "bonjour");
    const answer = await nthCreate(7, "the answer");
    expectMessage(answer, {
      inReplyTo: bonjour,
      paragraphs: [
        "Je n’ai pas compris ta réponse. Réponds « oui », « oui 2 » (le nombre de rencontres satisfaisantes) ou « non », ou utilise le formulaire :",
      ],
      link: formLink(""),
    });
    ritaLatest = bonjour;

    await reply(stranger, questionIri, "non");
    await drainQueue(a.app);
    expect(await checkins()).toMatchObject([{ answer: "no" }]);
    expect(creates(stranger)).toHaveLength(0);
    expect(creates(rita)).toHaveLength(7);
    const [e] = await a.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from encounters`,
    );
    expect(e?.n).toBe(0);
  });

  it("the next week's question answers rita's latest private Note", async () => {
    expect(await a.app.weeklyQuestions.askDue(new Date("2026-04-05T16:00:00Z"))).toEqual({
      asked: 1,
    });
    const question = await nthCreate(8, "the next question");
    expect(question.inReplyTo).toBe(ritaLatest);
  });

  it("a member who speaks English is answered in English, with contentMap.en", async () => {
    // The member's language is chosen at sign-up; the test changes it in place.
    await a.app.database.rows(sql`update members set language = 'en' where id = ${beaId}`);
    const question = String(noteOf(creates(rita)[7] as Received).id);
    const yes = await reply(rita, question, "Yes!");
    const ack = await nthCreate(9, "the English acknowledgement");
    const html = `<p>${ritaMention()} Noted: satisfying encounters this week.</p><p>To correct it or see your tracker: <a href="${a.baseUrl}/tracker#question">${a.baseUrl}/tracker#question</a></p>`;
    expect(ack).toMatchObject({ inReplyTo: yes, content: html, contentMap: { en: html } });
    await a.app.database.rows(sql`update members set language = 'fr' where id = ${beaId}`);
  });

  it("« oui 5 » in reply to our last answer counts for the latest question asked", async () => {
    const lastAnswer = String(noteOf(creates(rita)[8] as Received).id);
    expect(lastAnswer).toContain("/activities/answer/");
    const five = await reply(rita, lastAnswer, "oui 5");
    const ack = await nthCreate(10, "the acknowledgement of « oui 5 »");
    expect(ack.inReplyTo).toBe(five);
    expect(String(ack.content)).toContain("Noté : 5 rencontres satisfaisantes cette semaine.");
    // Asked last on `lastSunday` (the April question was asked "earlier", by its clock).
    const rows = await checkins();
    expect(rows.find((c) => c.weekStart === lastWeek)).toMatchObject({ answer: "yes", count: 5 });
  });

  it("each message's id answers its addressee's signed fetch only; a browser goes to the tracker", async () => {
    const question = noteOf(creates(rita)[2] as Received);
    const id = String(question.id);
    const ritaCtx = rita.federation.createContext(new URL(rita.origin), undefined);
    const asRita = await ritaCtx.getDocumentLoader({ identifier: "rita" });
    const fetched = (await asRita(id)).document as Json;
    expect(fetched).toMatchObject({
      id,
      type: "Note",
      attributedTo: instanceIri,
      to: rita.actorIri,
      content: question.content,
      contentMap: question.contentMap,
      inReplyTo: question.inReplyTo,
      url: `${a.baseUrl}/tracker#question`,
    });

    const strangerCtx = stranger.federation.createContext(new URL(stranger.origin), undefined);
    const asStranger = await strangerCtx.getDocumentLoader({ identifier: "rita" });
    await expect(asStranger(id)).rejects.toThrow(/404/);
    const unsigned = await fetch(id, { headers: { accept: AP } });
    expect(unsigned.status).toBe(404);
    const unknown = await fetch(`${a.baseUrl}/activities/answer/${crypto.randomUUID()}`, {
      headers: { accept: AP },
    });
    expect(unknown.status).toBe(404);

    const browser = await fetch(id, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(browser.status).toBe(303);
    expect(browser.headers.get("location")).toBe("/tracker");
    const login = await fetch(`${a.baseUrl}/tracker`, { redirect: "manual" });
    expect(login.headers.get("location")).toBe("/login?next=%2Ftracker");
    // The log-in page says what comes after, and comes back to the tracker.
    const page = await (await fetch(`${a.baseUrl}/login?next=%2Ftracker`)).text();
    expect(page).toContain("Tu reviendras ensuite sur ton suivi");
    expect(page).toContain('<input type="hidden" name="next" value="/tracker">');
    const elsewhere = await (await fetch(`${a.baseUrl}/login?next=https://evil.example/`)).text();
    expect(elsewhere).toContain('<input type="hidden" name="next" value="/tracker">');

    // Logged in, the tracker shows where the links lead: the form and the linked account.
    const tracker = await a.app.http.inject({
      url: "/tracker",
      headers: { cookie: await webLogin() },
    });
    expect(tracker.body).toContain('id="question"');
    expect(tracker.body).toMatch(
      new RegExp(`<section id="linked-account">.*${rita.actorIri}</a> : relié\\.`, "s"),
    );
    expect(tracker.body).toContain(`abonne-toi à @instance@${new URL(a.baseUrl).host}`);
  });

  it("the sender has a name, a French bio and an avatar, and accepts rita's follow", async () => {
    const actor = (await (await fetch(instanceIri, { headers: { accept: AP } })).json()) as Json;
    expect(actor).toMatchObject({
      type: "Application",
      name: "Socialdapres test",
      manuallyApprovesFollowers: false,
      icon: { type: "Image", mediaType: "image/png", url: `${a.baseUrl}/instance-avatar.png` },
    });
    expect(String(actor.summary)).toMatch(/^<p>Le compte de l’instance Socialdapres test\./);
    const avatar = await fetch(`${a.baseUrl}/instance-avatar.png`);
    expect(avatar.headers.get("content-type")).toBe("image/png");
    expect(
      Buffer.from(await avatar.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe("PNG");

    const ctx = rita.federation.createContext(new URL(rita.origin), undefined);
    const instance = await ctx.lookupObject(instanceIri);
    if (!isActor(instance)) throw new Error("no instance actor");
    const followId = new URL(`/follows/${crypto.randomUUID()}`, rita.origin);
    await ctx.sendActivity(
      { identifier: "rita" },
      instance,
      new Follow({ id: followId, actor: new URL(rita.actorIri), object: new URL(instanceIri) }),
    );
    const accept = await eventually(() => rita.received.find((r) => r.type === "Accept"), {
      what: "the Accept",
    });
    expect(accept.actor).toBe(instanceIri);
    const object = accept.json.object as Json | string;
    expect(typeof object === "string" ? object : object.id).toBe(followId.href);
  });

  it("at most 3 link requests a day, one message each; unlinking stops the question there", async () => {
    const before = creates(rita).length;
    const link = () =>
      api({
        method: "POST",
        url: "/api/socialdapres/v1/tracker/link",
        payload: { account: rita.actorIri },
      });
    expect((await link()).statusCode).toBe(202);
    expect((await link()).statusCode).toBe(202);
    const limited = await link();
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatch(/3 link requests a day/);
    await eventually(() => creates(rita).length === before + 2, { what: "two more link requests" });
    // Waiting again: the tracker says where Mastodon files the request.
    const tracker = await a.app.http.inject({
      url: "/tracker",
      headers: { cookie: await webLogin() },
    });
    expect(tracker.body).toContain(
      `cherche-le dans les notifications filtrées si tu ne suis pas encore @instance@${new URL(a.baseUrl).host}`,
    );

    const bad = await api({
      method: "POST",
      url: "/api/socialdapres/v1/tracker/link",
      payload: { account: 42 },
    });
    expect(bad.statusCode).toBe(422);
    expect(
      (await api({ method: "DELETE", url: "/api/socialdapres/v1/tracker/link" })).statusCode,
    ).toBe(204);
    expect((await a.app.trackerSettings.get(beaId)).linkedAccountIri).toBeNull();
  });
});
