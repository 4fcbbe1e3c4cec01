/**
 * A process that dies the hard way between a commit and the dispatch of its event:
 * it writes an encounter naming a peer's actor (and, for "update", edits it), and a
 * subscriber that runs before every other one SIGKILLs the process as soon as the
 * event it waits for is dispatched. Before dying it prints that event as one JSON line.
 * Run by test/outbox/crash-replay.test.ts: `node crashing-writer.ts '<json>'`.
 */
import { writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { buildApp } from "../../src/app.ts";
import type { DatabaseConfig } from "../../src/db/database.ts";

interface Input {
  origin: string;
  dataDir: string;
  database: DatabaseConfig;
  participant: string;
  scenario: "create" | "update";
  /** A migrated PGlite data directory to start from (the tests' global setup dumps one). */
  pgliteTemplatePath?: string;
}

const input = JSON.parse(process.argv[2] ?? "{}") as Input;
const origin = new URL(input.origin);
const database: DatabaseConfig =
  input.database.kind === "pglite" && input.pgliteTemplatePath
    ? { ...input.database, template: new Blob([await readFile(input.pgliteTemplatePath)]) }
    : input.database;
const app = await buildApp(
  {
    origin,
    host: origin.hostname,
    port: Number(origin.port),
    dataDir: input.dataDir,
    database,
    logLevel: "silent",
    role: "web",
    instanceName: "Socialdapres crash test",
    allowPrivateAddress: true,
  },
  // Its events are replayed a second after the crash, not thirty.
  { outbox: { leaseMs: 1_000 } },
);
const killOn = input.scenario === "create" ? "encounter.created" : "encounter.updated";
app.events.subscribe(
  (event) => {
    if (event.type !== killOn) return;
    writeSync(1, `${JSON.stringify(event)}\n`);
    process.kill(process.pid, "SIGKILL");
  },
  { first: true },
);
await app.members.create({ username: "bea", password: "bea-password-123" });
const encounter = await app.encounters.create("bea", {
  text: "Ravie d’avoir croisé Rita",
  participants: [input.participant],
  visibility: "public",
});
if (input.scenario === "update") {
  await app.encounters.update("bea", encounter.id, {
    text: "Ravie d’avoir croisé Rita, au marché",
  });
}
// Not reached when the subscriber did its job.
await app.close();
process.exitCode = 3;
