import { readFileSync } from "node:fs";

/**
 * The arguments `npm start` gives Node (package.json's `start` script, `node` left out): the
 * V8 flags then the entry point. The footprint benchmark spawns exactly these, and
 * test/start-command.test.ts checks that the Docker image's CMD does too.
 */
export function startCommandArguments(): string[] {
  const packageJson = JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  ) as { scripts: { start: string } };
  const [program, ...args] = packageJson.scripts.start.trim().split(/\s+/);
  if (program !== "node") throw new Error(`npm start runs ${program}, not node`);
  return args;
}
