import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type AppConfig, loadConfig } from "../src/config/config.ts";
import { runNode } from "./support/run-node.ts";

function configOf(env: Record<string, string | undefined>): AppConfig {
  const result = loadConfig(env);
  if (!result.ok) throw new Error(`unexpected problems: ${result.problems.join("; ")}`);
  return result.config;
}

function problemsOf(env: Record<string, string | undefined>): string[] {
  const result = loadConfig(env);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.config)}`);
  return result.problems;
}

describe("loadConfig", () => {
  it("has working defaults with no variable set", () => {
    const config = configOf({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe("0.0.0.0");
    expect(config.origin.href).toBe("http://localhost:3000/");
    expect(config.dataDir).toBe(resolve("./data"));
    expect(config.database).toEqual({ kind: "pglite", dataDir: resolve("./data", "db") });
    expect(config.logLevel).toBe("info");
    expect(config.role).toBe("all");
    expect(config.instanceName).toBe("Socialdapres");
    expect(config.instanceLanguage).toBe("fr");
    expect(config.allowPrivateAddress).toBe(false);
    expect(config.trustProxy).toBe(false);
  });

  it("ignores variables it does not know", () => {
    expect(configOf({ PATH: "/usr/bin", HOME: "/root", NODE_ENV: "test" })).toEqual(configOf({}));
  });

  it("reads every variable", () => {
    const config = configOf({
      DATABASE_URL: "postgres://user:secret@db.internal:5432/social",
      DATA_DIR: "/srv/socialdapres",
      PORT: "8080",
      HOST: "127.0.0.1",
      ORIGIN: "https://social.example",
      LOG_LEVEL: "debug",
      ROLE: "worker",
      INSTANCE_NAME: "Les rencontres",
      INSTANCE_LANGUAGE: "en",
      FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
      TRUST_PROXY: "127.0.0.1, 172.16.0.0/12",
      FEDERATION_CONNECT_TIMEOUT_SECONDS: "5",
      FEDERATION_REQUEST_TIMEOUT_SECONDS: "20",
      QUEUE_CONCURRENCY: "16",
      QUEUE_PER_HOST_CONCURRENCY: "3",
      SHUTDOWN_GRACE_SECONDS: "25",
      DATABASE_CONNECT_TIMEOUT_SECONDS: "4",
      DATABASE_STATEMENT_TIMEOUT_SECONDS: "15",
      DATABASE_MAX_CONNECTIONS: "25",
      METRICS_TOKEN: "0123456789abcdef0123456789abcdef",
    });
    expect(config).toEqual({
      origin: new URL("https://social.example"),
      host: "127.0.0.1",
      port: 8080,
      dataDir: "/srv/socialdapres",
      database: {
        kind: "postgres",
        url: "postgres://user:secret@db.internal:5432/social",
        connectTimeoutSeconds: 4,
        maxConnections: 25,
        statementTimeoutMs: 15_000,
      },
      logLevel: "debug",
      role: "worker",
      instanceName: "Les rencontres",
      instanceLanguage: "en",
      allowPrivateAddress: true,
      trustProxy: ["127.0.0.1", "172.16.0.0/12"],
      delivery: {
        connectTimeoutMs: 5_000,
        requestTimeoutMs: 20_000,
        concurrency: 16,
        perHostConcurrency: 3,
      },
      shutdownGraceMs: 25_000,
      metricsToken: "0123456789abcdef0123456789abcdef",
    });
  });

  it("reads the S3 variables, and keeps media on disk without S3_BUCKET", () => {
    expect(configOf({}).s3).toBeUndefined();
    expect(
      configOf({
        S3_BUCKET: "sdp-media",
        S3_ENDPOINT: "https://s3.fr-par.scw.cloud",
        S3_REGION: "fr-par",
        S3_ACCESS_KEY_ID: "AKIA123",
        S3_SECRET_ACCESS_KEY: "secret",
        S3_FORCE_PATH_STYLE: "true",
        S3_PUBLIC_URL: "https://media.social.example/",
      }).s3,
    ).toEqual({
      bucket: "sdp-media",
      endpoint: "https://s3.fr-par.scw.cloud",
      region: "fr-par",
      accessKeyId: "AKIA123",
      secretAccessKey: "secret",
      forcePathStyle: true,
      publicUrl: "https://media.social.example",
    });
    expect(configOf({ S3_BUCKET: "sdp-media" }).s3).toMatchObject({
      region: "us-east-1",
      forcePathStyle: false,
    });
  });

  it("says what is wrong with a half-given or malformed S3 configuration", () => {
    expect(problemsOf({ S3_ENDPOINT: "http://127.0.0.1:9000" })).toEqual([
      expect.stringMatching(/^S3_ENDPOINT: is set but S3_BUCKET is not/),
    ]);
    expect(problemsOf({ S3_BUCKET: "media", S3_ACCESS_KEY_ID: "key" })).toEqual([
      expect.stringMatching(
        /^S3_SECRET_ACCESS_KEY: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together/,
      ),
    ]);
    const problems = problemsOf({
      S3_BUCKET: "Media_Bucket",
      S3_ENDPOINT: "ftp://store",
      S3_FORCE_PATH_STYLE: "maybe",
      S3_PUBLIC_URL: "https://cdn.example/?sig=1",
    });
    expect(problems).toEqual([
      expect.stringMatching(/^S3_BUCKET: must be a bucket name/),
      expect.stringMatching(/^S3_ENDPOINT: must be the store's http\(s\) URL/),
      expect.stringMatching(/^S3_FORCE_PATH_STYLE: must be "true" or "false"/),
      expect.stringMatching(/^S3_PUBLIC_URL: must be a base URL without \?query/),
    ]);
  });

  it("asks for a long METRICS_TOKEN without spaces, and says how to make one", () => {
    for (const token of ["short", "a token with spaces in it, long enough"]) {
      const result = loadConfig({ METRICS_TOKEN: token });
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(result.problems).toEqual([
          expect.stringMatching(/^METRICS_TOKEN: .*openssl rand -hex 32/),
        ]);
    }
  });

  it("derives the default origin from PORT", () => {
    expect(configOf({ PORT: "4321" }).origin.origin).toBe("http://localhost:4321");
  });

  it("keeps an explicit ORIGIN whatever PORT is, and accepts a trailing slash or a port", () => {
    expect(configOf({ PORT: "4321", ORIGIN: "https://social.example/" }).origin.origin).toBe(
      "https://social.example",
    );
    expect(configOf({ ORIGIN: "http://social.example:8080" }).origin.origin).toBe(
      "http://social.example:8080",
    );
  });

  it("accepts postgresql:// as well as postgres://", () => {
    expect(configOf({ DATABASE_URL: "postgresql://localhost/x" }).database).toEqual({
      kind: "postgres",
      url: "postgresql://localhost/x",
      connectTimeoutSeconds: 10,
      maxConnections: 10,
      statementTimeoutMs: 30_000,
    });
  });

  it("puts the embedded database under DATA_DIR, resolved to an absolute path", () => {
    const config = configOf({ DATA_DIR: "relative/dir" });
    expect(config.dataDir).toBe(resolve("relative/dir"));
    expect(config.database).toEqual({ kind: "pglite", dataDir: resolve("relative/dir", "db") });
  });

  it.each([
    ["true", true],
    ["1", true],
    ["yes", true],
    ["false", false],
    ["0", false],
    ["no", false],
  ])("reads FEDERATION_ALLOW_PRIVATE_ADDRESS=%s as %s", (value, expected) => {
    expect(configOf({ FEDERATION_ALLOW_PRIVATE_ADDRESS: value }).allowPrivateAddress).toBe(
      expected,
    );
  });

  it.each([
    ["127.0.0.1", ["127.0.0.1"]],
    [" 10.0.0.0/8 , ::1 ", ["10.0.0.0/8", "::1"]],
    ["fd00::/8,loopback,uniquelocal", ["fd00::/8", "loopback", "uniquelocal"]],
    ["false", false],
    ["0", false],
  ])("reads TRUST_PROXY=%j as %j", (value, expected) => {
    expect(configOf({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it("explains why TRUST_PROXY takes addresses, not true or a hop count", () => {
    expect(problemsOf({ TRUST_PROXY: "true" })).toEqual([
      expect.stringMatching(/^TRUST_PROXY: "true" would believe any client's X-Forwarded-For/),
    ]);
    expect(problemsOf({ TRUST_PROXY: "2" })).toEqual([
      expect.stringMatching(/^TRUST_PROXY: a hop count cannot tell your proxy from a client/),
    ]);
    expect(problemsOf({ TRUST_PROXY: "127.0.0.1,proxy" })).toEqual([
      'TRUST_PROXY: not an IP address or CIDR range: "proxy" (give a comma-separated list such as 127.0.0.1,10.0.0.0/8, or false)',
    ]);
  });

  it.each(["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const)(
    "accepts LOG_LEVEL=%s",
    (level) => {
      expect(configOf({ LOG_LEVEL: level }).logLevel).toBe(level);
    },
  );

  it.each(["all", "web", "worker"] as const)("accepts ROLE=%s with PostgreSQL", (role) => {
    expect(configOf({ ROLE: role, DATABASE_URL: "postgres://db/social" }).role).toBe(role);
  });

  it.each(["web", "worker"])(
    "refuses ROLE=%s on the embedded database, which serves one process",
    (role) => {
      expect(problemsOf({ ROLE: role })).toEqual([expect.stringMatching(/^ROLE: .*DATABASE_URL/)]);
    },
  );

  it("treats empty variables as unset", () => {
    const empty = configOf({
      DATABASE_URL: "",
      DATA_DIR: "",
      PORT: "",
      HOST: "",
      ORIGIN: "",
      LOG_LEVEL: "",
      ROLE: "",
      INSTANCE_NAME: "",
      FEDERATION_ALLOW_PRIVATE_ADDRESS: "",
      TRUST_PROXY: "",
    });
    expect(empty).toEqual(configOf({}));
    expect(configOf({ PORT: "", ORIGIN: "" }).origin.origin).toBe("http://localhost:3000");
  });

  it.each([
    ["PORT", "abc"],
    ["PORT", "0"],
    ["PORT", "65536"],
    ["PORT", "80.5"],
    ["PORT", "-1.5"],
    ["DATABASE_URL", "mysql://localhost/x"],
    ["ORIGIN", "not a url"],
    ["ORIGIN", "ftp://social.example"],
    ["ORIGIN", "ftp://social.example/with/path"],
    ["LOG_LEVEL", "verbose"],
    ["ROLE", "x"],
    ["INSTANCE_NAME", "n".repeat(101)],
    ["FEDERATION_ALLOW_PRIVATE_ADDRESS", "maybe"],
    ["TRUST_PROXY", "true"],
    ["TRUST_PROXY", "1"],
    ["TRUST_PROXY", "proxy.internal"],
    ["TRUST_PROXY", "10.0.0.0/33"],
    ["TRUST_PROXY", "127.0.0.1,,10.0.0.1"],
    ["SHUTDOWN_GRACE_SECONDS", "0"],
    ["SHUTDOWN_GRACE_SECONDS", "2.5"],
    ["DATABASE_CONNECT_TIMEOUT_SECONDS", "0"],
    ["DATABASE_STATEMENT_TIMEOUT_SECONDS", "-1"],
  ])("reports one problem line for %s=%s", (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: \\S`));
    expect(problems[0]).not.toContain("\n");
  });

  it("reports every bad variable at once, one line each", () => {
    const problems = problemsOf({
      PORT: "abc",
      ROLE: "x",
      LOG_LEVEL: "loud",
      ORIGIN: "https://social.example/sub",
      FEDERATION_ALLOW_PRIVATE_ADDRESS: "maybe",
    });
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual([
      "FEDERATION_ALLOW_PRIVATE_ADDRESS",
      "LOG_LEVEL",
      "ORIGIN",
      "PORT",
      "ROLE",
    ]);
    expect(problems).toContain("ROLE: must be one of all, web, worker");
    expect(problems).toContain("PORT: must be a number");
  });

  it.each([
    "https://social.example/sub",
    "https://social.example/sub/",
    "https://social.example/?x=1",
    "https://social.example/#top",
    "https://user:secret@social.example",
  ])("refuses ORIGIN=%s, which is more than an origin", (origin) => {
    const problems = problemsOf({ ORIGIN: origin });
    expect(problems).toEqual([expect.stringMatching(/^ORIGIN: .*origin only/)]);
  });
});

describe("node src/main.js with a bad configuration", () => {
  it("exits non-zero with one clear line per problem and no stack trace", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "socialdapres-config-"));
    try {
      const { code, stdout, stderr } = await runNode("src/main.js", [], {
        // Only what the server reads, so the developer's own variables cannot interfere.
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: "abc", ROLE: "x" },
      });
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      const lines = stderr.split("\n").filter((line) => line.trim() !== "");
      expect(lines).toHaveLength(2);
      expect(lines).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/PORT: must be a number$/),
          expect.stringMatching(/ROLE: must be one of all, web, worker$/),
        ]),
      );
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(stdout).toBe("");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
