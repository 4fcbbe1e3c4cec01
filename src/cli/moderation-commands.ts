import { readFile, writeFile } from "node:fs/promises";
import type { App } from "../app.ts";
import type { RemoteActionKind } from "../moderation/account-actions.ts";
import { CLI_MODERATOR } from "../moderation/audit-log.ts";
import {
  formatDomainPoliciesCsv,
  importDomainPoliciesCsv,
} from "../moderation/domain-policies-csv.ts";
import type { MemberActionKind } from "../moderation/member-actions.ts";
import { DomainError } from "../shared/errors.ts";
import { type CliIo, option, positional } from "./args.ts";

export const MODERATION_USAGE = `
Moderation (every action is written to the audit log, with its reason):
  domain block|limit <host> [--reason "public reason"] [--comment "private comment"]
                                   block a domain and its subdomains (refused, nothing sent,
                                   its follows and encounters forgotten), or limit it (off the
                                   public #Socialdapres page, its follows need approval)
  domain unblock <host>            lift the policy
  domain list                      list the domain policies
  domain export [file]             the list in Mastodon's CSV format (stdout without a file)
  domain import <file|->           apply a Mastodon CSV list (- reads it from stdin)
  account silence|unsilence|suspend|unsuspend @user@host [--reason text]
                                   a remote account: silenced (off the public page, follows
                                   need approval) or suspended (what we hold of it forgotten,
                                   refused)
  account warn|freeze|unfreeze|suspend|unsuspend <username> [--reason text] [--final]
                                   a member: warned (told why), frozen (reads, cannot post),
                                   suspended (cannot log in, their actor answers 410; can be
                                   lifted for 30 days; --final deletes the account and sends
                                   Delete to other servers)
  audit list [--limit N]           the latest moderation actions, newest first
`;

const REMOTE: readonly string[] = ["silence", "unsilence", "suspend", "unsuspend"];
const LOCAL: readonly string[] = ["warn", "freeze", "unfreeze", "suspend", "unsuspend"];

/** The moderation commands; undefined when `group` is not one of them. */
export async function runModerationCommand(
  app: App,
  group: string | undefined,
  action: string | undefined,
  rest: string[],
  io: CliIo,
): Promise<number | undefined> {
  const reason = option(rest, "--reason");
  switch (group) {
    case "domain":
      return domainCommand(app, action, rest, io);
    case "account": {
      const usage = "account <action> <username or @user@host> [--reason text] [--final]";
      const [account] = positional(rest, 1, usage);
      const target = account as string;
      const remote = target.replace(/^@/, "").includes("@") || /^https?:/.test(target);
      if (remote && action && REMOTE.includes(action)) {
        const done = await app.remoteAccounts.act(
          target,
          action as RemoteActionKind,
          reason,
          CLI_MODERATOR,
        );
        io.out(`${done.handle}: ${describe(done.suspendedAt, done.silencedAt)}.`);
        return 0;
      }
      if (!remote && action && LOCAL.includes(action)) {
        if (action === "suspend" && rest.includes("--final")) {
          const done = await app.memberActions.suspendFinal(target, reason, CLI_MODERATOR);
          io.out(
            `@${done.username} is deleted for good: ${done.encounters} encounters deleted, ${done.followersRemoved} followers' servers told.`,
          );
          return 0;
        }
        const done = await app.memberActions.act(
          target,
          action as MemberActionKind,
          reason,
          CLI_MODERATOR,
        );
        const state = describe(done.suspendedAt, null, done.frozenAt);
        io.out(
          action === "warn"
            ? `@${done.username} is warned (they see it on their notifications page).`
            : `@${done.username}: ${state}${done.reversibleUntil ? `, can be lifted until ${done.reversibleUntil.toISOString()}` : ""}.`,
        );
        return 0;
      }
      throw new DomainError(
        "invalid",
        remote
          ? `A remote account can be ${REMOTE.join(", ")}: npm run cli -- ${usage}`
          : `A member can be ${LOCAL.join(", ")} (a remote account is written @user@host): npm run cli -- ${usage}`,
      );
    }
    case "audit": {
      if (action !== "list") return undefined;
      const text = option(rest, "--limit") ?? "50";
      if (!/^\d{1,4}$/.test(text) || Number(text) < 1) {
        throw new DomainError("invalid", "--limit is a number of records, 1 to 200.");
      }
      const records = await app.auditLog.list({ limit: Number(text) });
      if (records.length === 0) io.out("No moderation action yet.");
      for (const r of records) {
        const who = r.moderatorUsername ? `@${r.moderatorUsername}` : r.via;
        io.out(
          `${r.at.toISOString()}\t${who}\t${r.action}\t${r.subject}${r.reason ? `\t${r.reason}` : ""}`,
        );
      }
      return 0;
    }
  }
  return undefined;
}

function describe(suspendedAt: Date | null, silencedAt: Date | null, frozenAt?: Date | null) {
  const states = [
    suspendedAt ? "suspended" : undefined,
    silencedAt ? "silenced" : undefined,
    frozenAt ? "frozen" : undefined,
  ].filter(Boolean);
  return states.length > 0 ? states.join(", ") : "no restriction";
}

async function domainCommand(
  app: App,
  action: string | undefined,
  rest: string[],
  io: CliIo,
): Promise<number> {
  const service = app.domainPolicies;
  switch (action) {
    case "block":
    case "limit": {
      const [host] = positional(rest, 1, `domain ${action} <host> [--reason text]`);
      const { policy, actorsRemoved } = await service.set(
        {
          host: host as string,
          severity: action,
          publicReason: option(rest, "--reason"),
          privateComment: option(rest, "--comment"),
        },
        CLI_MODERATOR,
      );
      io.out(
        `${policy.host} is ${action === "block" ? "blocked" : "limited"}, subdomains included${action === "block" ? `; ${actorsRemoved} of its accounts forgotten with their follows and encounters` : ""}.`,
      );
      return 0;
    }
    case "unblock": {
      const [host] = positional(rest, 1, "domain unblock <host>");
      const removed = await service.remove(host as string, CLI_MODERATOR);
      io.out(
        `${removed.host} is no longer ${removed.severity === "block" ? "blocked" : "limited"}.`,
      );
      return 0;
    }
    case "list": {
      const policies = await service.list();
      if (policies.length === 0) io.out("No domain is blocked or limited.");
      for (const p of policies) io.out(`${p.host}\t${p.severity}\t${p.publicReason ?? ""}`);
      return 0;
    }
    case "export": {
      const csv = formatDomainPoliciesCsv(await service.list());
      const [file] = rest.filter((a) => !a.startsWith("--"));
      if (!file) {
        io.out(csv.trimEnd());
        return 0;
      }
      await writeFile(file, csv);
      io.out(`Wrote ${file}.`);
      return 0;
    }
    case "import": {
      const [file] = positional(rest, 1, "domain import <file|->");
      const text = file === "-" ? (io.stdin ?? "") : await readText(file as string);
      const { applied, errors } = await importDomainPoliciesCsv(service, text, CLI_MODERATOR);
      for (const e of errors) io.err(`line ${e.line}: ${e.error}`);
      io.out(
        `${applied} domain${applied === 1 ? "" : "s"} applied, ${errors.length} line${errors.length === 1 ? "" : "s"} refused.`,
      );
      return errors.length > 0 ? 1 : 0;
    }
  }
  throw new DomainError(
    "invalid",
    "Usage: npm run cli -- domain block|limit|unblock|list|export|import … (see npm run cli -- help)",
  );
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DomainError(
      "invalid",
      `${path} cannot be read${code === "ENOENT" ? ": no such file" : ` (${code ?? "error"})`}.`,
    );
  }
}
