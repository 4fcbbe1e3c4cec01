import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../src/cli/commands.ts";
import { solid } from "./media/images.ts";
import { buildTestApp, type TestApp } from "./support/app.ts";
import { databaseLabel } from "./support/database.ts";

describe(`CLI: user edit (${databaseLabel})`, () => {
  let t: TestApp;

  async function run(argv: string[], stdin?: string) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCommand(t.app, argv, {
      stdin,
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    return { code, out, err };
  }
  const profile = () => t.app.profiles.get("bea");
  const file = (name: string) => join(t.app.config.dataDir, name);

  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.members.create({ username: "bea", password: "bea-password-123" });
    await writeFile(file("avatar.png"), await solid(640, 480).png().toBuffer());
    await writeFile(file("notes.txt"), "not a picture");
  });
  afterAll(() => t?.close());

  it("sets the name, bio and fields; the usage lists it", async () => {
    const result = await run([
      "user",
      "edit",
      "bea",
      "--display-name",
      "Béa",
      "--bio",
      "Ligne 1\nLigne 2",
      "--field",
      "Ville=Lyon",
      "--field",
      "Site=https://bea.example/?a=b",
    ]);
    expect(result).toEqual({
      code: 0,
      out: ["Updated @bea's profile; their followers receive it."],
      err: [],
    });
    expect(await profile()).toMatchObject({
      displayName: "Béa",
      bio: "Ligne 1\nLigne 2",
      fields: [
        { name: "Ville", value: "Lyon" },
        { name: "Site", value: "https://bea.example/?a=b" },
      ],
    });
    const usage = await run(["user"]);
    expect(usage.code).toBe(2);
    expect(usage.err.join("\n")).toContain("user edit <username>");
  });

  it("reads the bio from stdin with --bio -, and says when nothing changed", async () => {
    expect((await run(["user", "edit", "bea", "--bio", "-"], "Depuis stdin\n")).code).toBe(0);
    expect((await profile()).bio).toBe("Depuis stdin");
    const again = await run(["user", "edit", "bea", "--bio", "-"], "Depuis stdin\n");
    expect(again.out).toEqual(["@bea's profile already was so: nothing was sent."]);
    const noStdin = await run(["user", "edit", "bea", "--bio", "-"]);
    expect(noStdin).toMatchObject({
      code: 1,
      err: ["--bio - reads the bio from stdin: pipe it in."],
    });
  });

  it("sets and removes the avatar, through the photo pipeline", async () => {
    const set = await run(["user", "edit", "bea", "--avatar", file("avatar.png")]);
    expect(set.code, set.err.join()).toBe(0);
    const { avatarUrl } = await profile();
    expect(avatarUrl).toMatch(/\/media\/profiles\/[0-9a-f-]{36}\.avatar\.webp$/);
    expect(set.out).toContain(`Avatar: ${avatarUrl}`);
    expect((await run(["user", "edit", "bea", "--remove-avatar"])).code).toBe(0);
    expect((await profile()).avatarUrl).toBeNull();
  });

  it("refuses what the API refuses, with a message and exit code 1, changing nothing", async () => {
    const before = await profile();
    const cases: Array<[string[], RegExp]> = [
      [["--bio", "x".repeat(501)], /^bio must be at most 500 characters\.$/],
      [
        ["--field", "a=1", "--field", "b=2", "--field", "c=3", "--field", "d=4", "--field", "e=5"],
        /^fields must be at most 4\.$/,
      ],
      [["--field", "Ville"], /must be written name=value/],
      [["--avatar", file("notes.txt")], /not a photo in a format we accept/],
      [["--avatar", file("missing.png")], /cannot be read: no such file/],
      [["--avatar", file("avatar.png"), "--remove-avatar"], /cannot go together/],
      [[], /Say what to change/],
    ];
    for (const [options, message] of cases) {
      const result = await run(["user", "edit", "bea", ...options]);
      expect(result.code, options.join(" ")).toBe(1);
      expect(result.err.join("\n")).toMatch(message);
    }
    expect((await run(["user", "edit", "nobody", "--bio", "x"])).err).toEqual([
      'No member named "nobody".',
    ]);
    expect(await profile()).toEqual(before);
  });
});
