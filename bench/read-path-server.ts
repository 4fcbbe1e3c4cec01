/**
 * The server side of bench/read-path.ts, in a process of its own: one instance (role `all`) on a
 * fresh database, seeded with members and public encounters, and beside it, in the same process,
 * a bare Fastify server whose routes answer the very bytes the instance answered for each path
 * (same body, same content type). The client measures both, one after the other: the ratio is
 * what the instance's read path costs over Fastify itself on this machine, at this moment.
 */
import Fastify from "fastify";
import {
  argument,
  countingLogger,
  type DatabaseKind,
  freePort,
  startApp,
  waitForEmptyQueue,
} from "./support.ts";

export interface ReadPathTarget {
  name: string;
  path: string;
  headers: Record<string, string>;
  /** What the instance answered before the measurement (the bare route answers the same). */
  status: number;
  bytes: number;
  contentType: string;
}

export interface ReadPathReady {
  type: "ready";
  origin: string;
  bareOrigin: string;
  targets: ReadPathTarget[];
}

const AP_ACCEPT = "application/activity+json";

async function main() {
  const send = process.send?.bind(process);
  if (!send) throw new Error("bench/read-path-server.ts is started by bench/read-path.ts (fork)");
  const database = argument("database", "pglite") as DatabaseKind;
  const { logger } = countingLogger();
  const bench = await startApp(database, logger);
  const { app } = bench;
  await app.members.create({
    username: "bea",
    displayName: "Béa Martin",
    password: "bea-pw-2021x",
  });
  await app.members.create({ username: "antoine", password: "antoine-pw-2021x" });
  let noteId = "";
  for (let i = 0; i < 40; i++) {
    const view = await app.encounters.create("bea", {
      text: `Rencontre ${i} avec @antoine au marché #Socialdapres`,
      participants: ["@antoine", "Zoé"],
      keywords: ["marché", "café"],
    });
    noteId = view.id;
  }
  await waitForEmptyQueue(app);
  const host = new URL(bench.origin).host;
  const html = { accept: "text/html", "accept-language": "fr" };
  const targets: Array<Omit<ReadPathTarget, "status" | "bytes" | "contentType">> = [
    { name: "actor JSON", path: "/users/bea", headers: { accept: AP_ACCEPT } },
    { name: "Note JSON", path: `/users/bea/encounters/${noteId}`, headers: { accept: AP_ACCEPT } },
    {
      name: "WebFinger",
      path: `/.well-known/webfinger?resource=${encodeURIComponent(`acct:bea@${host}`)}`,
      headers: { accept: "application/jrd+json" },
    },
    { name: "profile HTML `/@bea`", path: "/@bea", headers: html },
    { name: "tag HTML `/tags/socialdapres`", path: "/tags/socialdapres", headers: html },
  ];
  // The bare server: one route per path, answering the instance's bytes.
  const bare = Fastify({ logger: false });
  const measured: ReadPathTarget[] = [];
  for (const target of targets) {
    const response = await fetch(new URL(target.path, bench.origin), { headers: target.headers });
    const body = Buffer.from(await response.arrayBuffer());
    const contentType = response.headers.get("content-type") ?? "application/octet-stream";
    measured.push({ ...target, status: response.status, bytes: body.length, contentType });
    const path = target.path.split("?")[0] as string;
    if (!bare.hasRoute({ method: "GET", url: path })) {
      bare.get(path, async (_request, reply) => reply.type(contentType).send(body));
    }
  }
  const barePort = await freePort();
  await bare.listen({ host: "127.0.0.1", port: barePort });
  const ready: ReadPathReady = {
    type: "ready",
    origin: bench.origin,
    bareOrigin: `http://127.0.0.1:${barePort}`,
    targets: measured,
  };
  send(ready);
  const stop = () => {
    void Promise.allSettled([bare.close(), bench.close()]).finally(() => process.exit(0));
  };
  process.on("message", (message: { type?: string }) => {
    if (message.type === "stop") stop();
  });
  process.on("disconnect", stop);
}

await main();
