import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startCommandArguments } from "./support/start-command.ts";

/** The Dockerfile's exec-form CMD, parsed as the JSON array it is. */
function dockerCommand(): string[] {
  const dockerfile = readFileSync(new URL("../Dockerfile", import.meta.url), "utf8");
  const line = dockerfile.split("\n").find((l) => l.startsWith("CMD "));
  if (!line) throw new Error("the Dockerfile has no CMD");
  return JSON.parse(line.slice("CMD ".length)) as string[];
}

describe("how the server is started", () => {
  it("runs Node itself on src/main.js, with the same V8 flags in npm start and the Docker image", () => {
    const args = startCommandArguments();
    expect(args.at(-1)).toBe("src/main.js");
    expect(args).toContain("--max-semi-space-size=16");
    expect(dockerCommand()).toEqual(["node", ...args]);
  });
});
