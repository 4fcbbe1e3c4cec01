import type { LookupAddress } from "node:dns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEgress, type Egress, isPublicAddress } from "../../src/egress/egress.ts";
import { PUBLIC_STAND_IN, standInPolicy, startHost, type TestHost } from "../support/hosts.ts";

/** The reason a refused fetch gives, wherever undici put it. */
async function refusalOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error & { cause?: Error },
  );
  if (!error) throw new Error("the request was not refused");
  return `${error.message} ${error.cause?.message ?? ""}`;
}

/** A resolver that answers from a table, and counts the questions. */
function tableLookup(table: Record<string, string[]>) {
  const asked: string[] = [];
  const lookup = ((
    hostname: string,
    _options: unknown,
    callback: (error: Error | null, addresses: LookupAddress[]) => void,
  ) => {
    asked.push(hostname);
    const answers = table[hostname];
    const address =
      answers?.[Math.min(asked.filter((h) => h === hostname).length, answers.length) - 1];
    if (!address)
      return callback(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), []);
    callback(null, [{ address, family: 4 }]);
  }) as never;
  return { lookup, asked };
}

describe("the egress policy", () => {
  let privateHost: TestHost;
  let publicHost: TestHost;

  beforeAll(async () => {
    privateHost = await startHost("127.0.0.1", (_q, r) => r.writeHead(200).end("internal"));
    publicHost = await startHost(PUBLIC_STAND_IN, (request, response) => {
      if (request.url === "/bounce") {
        response.writeHead(307, { location: `${privateHost.origin}/secret` }).end();
      } else {
        response.writeHead(200, { "content-type": "text/plain" }).end("public");
      }
    });
  });

  afterAll(async () => {
    await Promise.all([privateHost?.close(), publicHost?.close()]);
  });

  it("knows private, loopback, link-local and mapped addresses from public ones", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "::",
      "fe80::1",
      "fc00::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "64:ff9b::a00:1",
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ["93.184.215.14", "2606:4700::1111", "1.1.1.1"]) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  describe("outside test mode", () => {
    let egress: Egress;
    let lookup: ReturnType<typeof tableLookup>;

    beforeAll(() => {
      lookup = tableLookup({
        "internal.example": ["127.0.0.1"],
        "public.example": [PUBLIC_STAND_IN],
        // Public when checked, private when connecting: a DNS rebinding.
        "rebind.example": [PUBLIC_STAND_IN, "127.0.0.1"],
      });
      egress = createEgress({
        allowPrivateAddress: false,
        isPublicAddress: standInPolicy,
        lookup: lookup.lookup,
      });
    });

    afterAll(() => egress?.close());

    it("reaches a public address", async () => {
      const response = await egress.fetch(`${publicHost.origin}/hello`);
      expect(await response.text()).toBe("public");
    });

    it("refuses loopback and private addresses, literal or resolved, before connecting", async () => {
      const before = privateHost.requests.length;
      for (const url of [
        `${privateHost.origin}/secret`,
        `http://[::ffff:127.0.0.1]:${privateHost.port}/secret`,
        `http://[::1]:${privateHost.port}/secret`,
        `http://internal.example:${privateHost.port}/secret`,
        "http://169.254.169.254/latest/meta-data/",
      ]) {
        expect(await refusalOf(egress.fetch(url)), url).toMatch(/not a public internet address/);
      }
      expect(privateHost.requests.length).toBe(before);
    });

    it("refuses a redirect to a private address", async () => {
      const before = privateHost.requests.length;
      const reason = await refusalOf(egress.fetch(`${publicHost.origin}/bounce`));
      expect(reason).toMatch(/127\.0\.0\.1: not a public internet address/);
      expect(publicHost.requests.at(-1)?.url).toBe("/bounce");
      expect(privateHost.requests.length).toBe(before);
    });

    it("checks the address it connects to, not the one it was told earlier (DNS rebinding)", async () => {
      const before = privateHost.requests.length;
      const url = `http://rebind.example:${privateHost.port}/secret`;
      await egress.check(url); // the first answer is public
      expect(await refusalOf(egress.fetch(url))).toMatch(/resolves to 127\.0\.0\.1/);
      expect(privateHost.requests.length).toBe(before);
    });

    it("check() refuses private hosts and other protocols with a clear reason", async () => {
      await expect(egress.check(`http://internal.example/`)).rejects.toThrow(
        "Refusing to connect to internal.example: it resolves to 127.0.0.1",
      );
      await expect(egress.check("http://10.0.0.8/inbox")).rejects.toThrow(/10\.0\.0\.8/);
      await expect(egress.check("file:///etc/passwd")).rejects.toThrow(/only http and https/);
      await expect(egress.check("http://public.example/inbox")).resolves.toBeUndefined();
    });

    it("applies to the global fetch inside run(), and only there", async () => {
      const before = privateHost.requests.length;
      const inside = egress.run(() => fetch(`${privateHost.origin}/secret`));
      expect(await refusalOf(inside)).toMatch(/not a public internet address/);
      expect(privateHost.requests.length).toBe(before);
      // Code outside any instance's scope (here, the test itself) is not affected.
      expect(await (await fetch(`${privateHost.origin}/secret`)).text()).toBe("internal");
    });
  });

  it("in test mode, reaches loopback addresses", async () => {
    const open = createEgress({ allowPrivateAddress: true });
    try {
      expect(await (await open.fetch(`${privateHost.origin}/x`)).text()).toBe("internal");
      await expect(open.check(`${privateHost.origin}/x`)).resolves.toBeUndefined();
    } finally {
      await open.close();
    }
  });

  it("bounds the time to an answer", async () => {
    const slow = await startHost("127.0.0.1", () => {
      // Never answers.
    });
    const bounded = createEgress({ allowPrivateAddress: true, responseTimeoutMs: 300 });
    try {
      const reason = await refusalOf(bounded.fetch(`${slow.origin}/`));
      expect(reason).toMatch(/timeout/i);
    } finally {
      await bounded.close();
      await slow.close();
    }
  });

  it("bounds a whole request, a body that trickles in included", async () => {
    const trickle = await startHost("127.0.0.1", (_request, response) => {
      response.writeHead(200);
      // A byte every 100 ms: never a gap long enough for the idle timeouts.
      const timer = setInterval(() => response.write("."), 100);
      response.on("close", () => clearInterval(timer));
    });
    const bounded = createEgress({
      allowPrivateAddress: true,
      responseTimeoutMs: 5_000,
      totalTimeoutMs: 400,
    });
    try {
      const startedAt = Date.now();
      const outside = bounded.fetch(`${trickle.origin}/`).then((r) => r.text());
      expect(await refusalOf(outside)).toMatch(/abort|timeout/i);
      const inside = bounded.run(() => fetch(`${trickle.origin}/`).then((r) => r.text()));
      expect(await refusalOf(inside)).toMatch(/abort|timeout/i);
      expect(Date.now() - startedAt).toBeLessThan(4_000);
    } finally {
      await bounded.close();
      await trickle.close();
    }
  });

  it("inside run(), repeats a POST's server error instead of sending the POST again", async () => {
    let status = 503;
    const failing = await startHost("127.0.0.1", (_request, response) => {
      response.writeHead(status, { "retry-after": "120" }).end("busy");
    });
    const egress = createEgress({ allowPrivateAddress: true });
    const post = (body: string) => fetch(`${failing.origin}/inbox`, { method: "POST", body });
    try {
      const answers = await egress.run(async () => {
        const first = await post("signed one way");
        const second = await post("signed the other way");
        // A GET is not concerned: it goes out.
        const get = await fetch(`${failing.origin}/actor`);
        return [first, second, get];
      });
      expect(answers.map((r) => r.status)).toEqual([503, 503, 503]);
      expect(answers[1]?.headers.get("retry-after")).toBe("120");
      expect(failing.requests.map((r) => `${r.method} ${r.body}`)).toEqual([
        "POST signed one way",
        "GET ",
      ]);
      // A 401 (a signature the peer did not take) lets the second format through; so does
      // a new run (the next attempt).
      status = 401;
      await egress.run(async () => {
        await post("a");
        await post("b");
      });
      status = 503;
      await egress.run(() => post("next attempt"));
      expect(failing.requests.map((r) => r.body).slice(2)).toEqual(["a", "b", "next attempt"]);
    } finally {
      await egress.close();
      await failing.close();
    }
  });
});
