import { stat } from "node:fs/promises";
import { createServer } from "node:net";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "./support/app.ts";
import { databaseLabel } from "./support/database.ts";
import { freePort } from "./support/free-port.ts";

/** Whether something accepts TCP connections on the loopback port. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}

describe(`buildTestApp (${databaseLabel})`, () => {
  const opened: TestApp[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((t) => t.close()));
  });

  it("builds two independent listening instances that serve real HTTP", async () => {
    const [one, two] = await Promise.all([
      buildTestApp({ listen: true }),
      buildTestApp({ listen: true }),
    ]);
    opened.push(one, two);
    expect(one.baseUrl).toMatch(/^http:\/\/localhost:\d+$/);
    expect(two.baseUrl).not.toBe(one.baseUrl);
    expect(one.app.config).toMatchObject({
      role: "all",
      allowPrivateAddress: true,
      logLevel: "silent",
    });
    expect(one.app.config.origin.origin).toBe(one.baseUrl);

    await one.app.members.create({ username: "bea", password: "bea-password-1" });
    const response = await fetch(`${one.baseUrl}/users/bea`, {
      headers: { accept: "application/activity+json" },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { id: string }).id).toBe(`${one.baseUrl}/users/bea`);
    // The other instance has its own database.
    const other = await fetch(`${two.baseUrl}/users/bea`, {
      headers: { accept: "application/activity+json" },
    });
    expect(other.status).toBe(404);
  });

  it("does not listen unless asked, applies overrides, and serves inject()", async () => {
    const port = await freePort();
    const instance = await buildTestApp({ port, instanceName: "Autre instance" });
    opened.push(instance);
    expect(instance.baseUrl).toBe(`http://localhost:${port}`);
    expect(instance.app.config.instanceName).toBe("Autre instance");
    expect(await isListening(port)).toBe(false);
    const response = await instance.app.http.inject({ url: "/nodeinfo/2.1" });
    expect(response.statusCode).toBe(200);
    expect((response.json() as { metadata: { nodeName: string } }).metadata.nodeName).toBe(
      "Autre instance",
    );
  });

  it("releases the port, the database and the data directory on close, and closes twice safely", async () => {
    const instance = await buildTestApp({ listen: true });
    const port = Number(new URL(instance.baseUrl).port);
    const { dataDir, database } = instance.app.config;
    expect(await isListening(port)).toBe(true);
    expect((await stat(dataDir)).isDirectory()).toBe(true);

    const started = Date.now();
    await instance.close();
    await instance.close();
    // Stopping the queue consumer must not wait for a poll interval or a lease.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await isListening(port)).toBe(false);
    await expect(stat(dataDir)).rejects.toThrow(/ENOENT/);
    if (database.kind === "postgres") {
      const name = new URL(database.url).pathname.slice(1);
      const admin = postgres(process.env.TEST_DATABASE_URL as string, { max: 1 });
      try {
        const rows = await admin`select 1 from pg_database where datname = ${name}`;
        expect(rows).toHaveLength(0);
      } finally {
        await admin.end();
      }
    }
  });

  it("fails cleanly when the chosen port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(buildTestApp({ port, listen: true })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
