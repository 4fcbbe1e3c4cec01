/**
 * The server side of bench/memory.ts, in a process of its own so that the
 * client's requests and buffers do not count in its resident set size. It
 * starts one instance, seeds public encounters, tells its parent (over the IPC
 * channel of `fork`) where they are, then answers "sample" messages with its
 * memory figures, taken after a full garbage collection.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { RemoteActorRecord } from "../src/actors/actors-repository.ts";
import { encounterParticipants } from "../src/db/schema.ts";
import { insertRemoteEncounter } from "../test/support/remote-encounter.ts";
import {
  argument,
  type BenchApp,
  countingLogger,
  type DatabaseKind,
  startApp,
  waitForEmptyQueue,
} from "./support.ts";

/** What the server tells its parent once it is ready. */
export interface MemoryServerReady {
  type: "ready";
  origin: string;
  /** The pages to load: the #Socialdapres list, a profile, a permalink, a keyword's list. */
  paths: string[];
  /** ActivityPub documents (bea's actor, a Note) and WebFinger, for the soak (bench/soak.ts). */
  jsonPaths: string[];
  localEncounters: number;
  remoteEncounters: number;
  seedSeconds: number;
}

export interface MemorySample {
  type: "sample";
  rssMib: number;
  heapUsedMib: number;
  /** What V8 holds for its heap, used or not: part of the RSS. */
  heapTotalMib: number;
  /** Memory of C++ objects bound to JavaScript ones, as V8 counts it. */
  externalMib: number;
  problemsLogged: number;
}

export type MemoryServerMessage = MemoryServerReady | MemorySample;

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

const remoteActor = (n: number): RemoteActorRecord => ({
  iri: `https://remote${n}.example/users/zed${n}`,
  type: "Person",
  username: `zed${n}`,
  host: `remote${n}.example`,
  name: `Zed ${n} Remote`,
  summary: "",
  url: `https://remote${n}.example/@zed${n}`,
  inboxUrl: `https://remote${n}.example/users/zed${n}/inbox`,
  sharedInboxUrl: `https://remote${n}.example/inbox`,
  followersUrl: `https://remote${n}.example/users/zed${n}/followers`,
  avatarUrl: null,
  manuallyApprovesFollowers: false,
});

const KEYWORDS = ["BrightMirror", "Barbares", "été", "marché", "東京", "café", "vélo", "jardin"];

/**
 * `local` encounters written through the service (participants: members and
 * plain names; keywords; public details), and `remote` ones inserted as
 * ingestion stores them (sanitized HTML, a remote author, bea named).
 */
async function seed(bench: BenchApp, local: number, remote: number): Promise<string> {
  const { app } = bench;
  for (const [username, displayName] of [
    ["bea", "Béa Martin"],
    ["antoine", "Antoine Brachet"],
    ["chloe", "Chloé"],
  ] as const) {
    await app.members.create({ username, displayName, password: `${username}-password-2021` });
  }
  let permalink = "";
  for (let i = 0; i < local; i++) {
    const author = i % 3 === 2 ? "antoine" : "bea";
    const other = author === "bea" ? "@antoine" : "@bea";
    const created = await app.encounters.create(author, {
      text: `Ravie d'avoir croisé ${other} et Marie ${i} au marché #BrightMirror (${i})`,
      participants: [other, "@chloe", `Marie ${i}`],
      keywords: [KEYWORDS[i % KEYWORDS.length] as string, "BrightMirror"],
      details: { emotion: "joie", howTheyAre: "Il va bien." },
    });
    if (!permalink && author === "bea") permalink = new URL(created.url as string).pathname;
  }
  const bea = await app.members.findByUsername("bea");
  const beaActor = bea && (await app.actors.findByMemberId(bea.id));
  if (!beaActor) throw new Error("bea has no actor");
  const remoteAuthors = await Promise.all(
    [0, 1, 2, 3, 4].map((n) => app.actors.upsertRemote(remoteActor(n))),
  );
  for (let i = 0; i < remote; i++) {
    const author = remoteAuthors[i % remoteAuthors.length];
    if (!author) throw new Error("no remote author");
    const id = await insertRemoteEncounter(app, author, {
      occurredOn: "2026-01-10",
      text: `Crossed paths with @bea #Socialdapres #BrightMirror (${i})`,
      remoteContentHtml: `<p>Crossed paths with <span class="h-card"><a href="${beaActor.iri}" class="u-url mention">@<span>bea</span></a></span> <a href="https://remote.example/tags/brightmirror" class="mention hashtag" rel="tag">#BrightMirror</a> (${i})</p>`,
      keywords: ["Socialdapres", "BrightMirror"],
      publishedAt: new Date(Date.now() - (i + 1) * 60_000),
    });
    await app.database.db.insert(encounterParticipants).values({
      id: randomUUID(),
      encounterId: id,
      position: 0,
      actorId: beaActor.id,
    });
  }
  return permalink;
}

async function main() {
  const send = process.send?.bind(process);
  if (!send) throw new Error("bench/memory-server.ts is started by bench/memory.ts (fork)");
  const database = argument("database", "pglite") as DatabaseKind;
  const local = Number(argument("local", "300"));
  const remote = Number(argument("remote", "60"));
  const { logger, problems } = countingLogger();
  const bench = await startApp(database, logger);
  const started = performance.now();
  const permalink = await seed(bench, local, remote);
  // Seeding names local members: their notifications and deliveries run first.
  await waitForEmptyQueue(bench.app);
  const ready: MemoryServerReady = {
    type: "ready",
    origin: bench.origin,
    paths: ["/tags/socialdapres", "/@bea", permalink, "/tags/BrightMirror"],
    jsonPaths: [
      "/users/bea",
      permalink.replace(/^\/@bea\//, "/users/bea/encounters/"),
      `/.well-known/webfinger?resource=${encodeURIComponent(`acct:bea@${new URL(bench.origin).host}`)}`,
      "/users/antoine",
    ],
    localEncounters: local,
    remoteEncounters: remote,
    seedSeconds: (performance.now() - started) / 1000,
  };
  send(ready);
  process.on("message", (message: { type?: string }) => {
    if (message.type === "sample") {
      // A full collection first: what is left is what the process keeps.
      globalThis.gc?.();
      const usage = process.memoryUsage();
      const sample: MemorySample = {
        type: "sample",
        rssMib: mib(usage.rss),
        heapUsedMib: mib(usage.heapUsed),
        heapTotalMib: mib(usage.heapTotal),
        externalMib: mib(usage.external),
        problemsLogged: problems(),
      };
      send(sample);
    } else if (message.type === "stop") {
      void bench.close().finally(() => process.exit(0));
    }
  });
  // The parent went away without saying stop: do not linger.
  process.on("disconnect", () => {
    void bench.close().finally(() => process.exit(0));
  });
}

await main();
