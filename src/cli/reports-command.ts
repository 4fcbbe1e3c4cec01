import type { App } from "../app.ts";
import type { ReportView } from "../moderation/reports-service.ts";
import { DomainError } from "../shared/errors.ts";
import type { CliIo } from "./cli-io.ts";

export const REPORTS_USAGE = `  reports list [--all]             the open reports (--all: the resolved ones too)
  reports resolve <id> [--note "text"]
                                   resolve a report, with an optional note`;

const handle = (actor: { username: string; host: string }) => `@${actor.username}@${actor.host}`;
const oneLine = (text: string, max: number) => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function describe(report: ReportView): string {
  const words = report.reply?.text ?? report.encounter?.text ?? "";
  return [
    `${report.id}  ${report.state}  ${report.createdAt.toISOString()}  ${report.category}`,
    `  ${handle(report.reporter)} reports ${handle(report.target)}${report.forwarded ? " (forwarded)" : ""}`,
    ...(words ? [`  reported: ${oneLine(words, 100)}`] : []),
    ...(report.comment ? [`  comment: ${oneLine(report.comment, 100)}`] : []),
    ...(report.resolutionNote ? [`  note: ${oneLine(report.resolutionNote, 100)}`] : []),
  ].join("\n");
}

/** `reports list [--all]`, `reports resolve <id> [--note …]`: the moderators' queue without a browser. */
export async function reportsCommand(app: App, args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === "list") {
    const listed = await app.reports.list({ all: rest.includes("--all"), limit: 500 });
    if (listed.length === 0) io.out("No reports.");
    for (const report of listed) io.out(describe(report));
    return 0;
  }
  if (action === "resolve") {
    const noteAt = rest.indexOf("--note");
    const note = noteAt >= 0 ? rest[noteAt + 1] : undefined;
    const id = rest.find((a, i) => !a.startsWith("--") && (noteAt < 0 || i !== noteAt + 1));
    if (!id)
      throw new DomainError(
        "invalid",
        'Usage: npm run cli -- reports resolve <id> [--note "text"]',
      );
    const report = await app.reports.resolve(id, { moderatorId: null, via: "cli", note });
    io.out(`Report ${report.id} is resolved.`);
    return 0;
  }
  throw new DomainError("invalid", `Usage:\n${REPORTS_USAGE}`);
}
