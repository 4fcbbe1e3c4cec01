import { DomainError } from "../shared/errors.ts";

export type { CliIo } from "./cli-io.ts";

export function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

/** Options followed by a value; the others (--manual-approval, --pending) are flags. */
const VALUE_OPTIONS = new Set([
  "--display-name",
  "--label",
  "--bio",
  "--field",
  "--avatar",
  "--header",
  "--role",
  "--reason",
  "--limit",
  "--comment",
  "--note",
]);

/** Every value of a repeated option. */
export function options(args: string[], name: string): string[] {
  return args.flatMap((a, i) => (a === name && i + 1 < args.length ? [args[i + 1] as string] : []));
}

export function positional(args: string[], count: number, usage: string): string[] {
  // A flag must not swallow the argument after it: `user create --manual-approval bea`.
  const values = args.filter(
    (a, i) => !a.startsWith("--") && !VALUE_OPTIONS.has(args[i - 1] ?? ""),
  );
  if (values.length < count) throw new DomainError("invalid", `Usage: npm run cli -- ${usage}`);
  return values;
}
