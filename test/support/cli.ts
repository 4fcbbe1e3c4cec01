import type { App } from "../../src/app.ts";
import { runCommand } from "../../src/cli/commands.ts";

/** What a CLI command said, and its exit code. */
export interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

/** Runs one CLI command on a test app, as `npm run cli -- …` would, and keeps what it printed. */
export async function runCli(app: App, argv: string[], stdin?: string): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(app, argv, {
    stdin,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out, err };
}
