import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AuditLog, AuditRecord } from "../moderation/audit-log.ts";
import { escapeHtml } from "../shared/html.ts";
import { requireStaff } from "./admin-pages.ts";
import { stackedCell } from "./layout.ts";
import { formatInstant } from "./render-encounter.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * /admin/audit (admins and moderators): the moderation actions, newest first: when, who (a
 * moderator, or the CLI), what, on what, why. The log holds no private data.
 */

const W = {
  fr: {
    title: "Journal de modération",
    intro:
      "Chaque action de modération, la plus récente d'abord : qui l'a faite (un·e membre de l'équipe, ou la ligne de commande), sur quoi, et pourquoi.",
    at: "Quand",
    who: "Qui",
    action: "Action",
    subject: "Sur",
    reason: "Raison",
    cli: "ligne de commande",
    api: "API",
    empty: "Aucune action de modération pour l'instant.",
    older: "Actions plus anciennes",
  },
  en: {
    title: "Moderation log",
    intro:
      "Every moderation action, newest first: who took it (a member of the team, or the command line), on what, and why.",
    at: "When",
    who: "Who",
    action: "Action",
    subject: "On",
    reason: "Reason",
    cli: "command line",
    api: "API",
    empty: "No moderation action yet.",
    older: "Older actions",
  },
} as const;

const PAGE = 50;
const query = z.object({ before: z.uuid().optional() });

/** Where an audit record's subject is looked at, when it has a page. */
export function subjectHref(record: Pick<AuditRecord, "subjectKind" | "subject">) {
  if (record.subjectKind === "member" || record.subjectKind === "account") {
    return `/admin/accounts/${encodeURIComponent(record.subject)}`;
  }
  return record.subjectKind === "domain" ? "/admin/domains" : undefined;
}

/** The rows of a list of audit records (this page, and an account's history). */
export function auditRowsHtml(lang: "fr" | "en", records: readonly AuditRecord[]): string {
  const w = W[lang];
  return records
    .map((r) => {
      const who = r.moderatorUsername
        ? `@${r.moderatorUsername}`
        : r.via === "api"
          ? w.api
          : r.via === "cli"
            ? w.cli
            : "—";
      const href = subjectHref(r);
      const subject = href
        ? `<a href="${escapeHtml(href)}">${escapeHtml(r.subject)}</a>`
        : escapeHtml(r.subject);
      return `<tr><th scope="row">${escapeHtml(formatInstant(lang, r.at))}</th>${stackedCell(w.who, escapeHtml(who))}${stackedCell(w.action, `<code>${escapeHtml(r.action)}</code>`)}${stackedCell(w.subject, subject)}${stackedCell(w.reason, escapeHtml(r.reason ?? ""))}</tr>`;
    })
    .join("\n");
}

/** The table of audit records, with its header. */
export function auditTableHtml(lang: "fr" | "en", records: readonly AuditRecord[]): string {
  const w = W[lang];
  if (records.length === 0) return `<p>${escapeHtml(w.empty)}</p>`;
  return `<div class="table-scroll"><table class="stacked">
<thead><tr><th scope="col">${escapeHtml(w.at)}</th><th scope="col">${escapeHtml(w.who)}</th><th scope="col">${escapeHtml(w.action)}</th><th scope="col">${escapeHtml(w.subject)}</th><th scope="col">${escapeHtml(w.reason)}</th></tr></thead>
<tbody>
${auditRowsHtml(lang, records)}
</tbody></table></div>`;
}

export function registerAdminAuditPage(
  scope: FastifyInstance,
  deps: { web: WebKit; auditLog: Pick<AuditLog, "list"> },
): void {
  const { web } = deps;
  scope.get("/admin/audit", async (request, reply) => {
    if (!(await requireStaff(web, request, reply, "staff"))) return reply;
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const parsed = query.safeParse(request.query ?? {});
    if (!parsed.success) {
      return web.sendMessage(reply, context, {
        status: 400,
        title: "badRequest",
        text: { raw: "before: the id of an action of this log." },
      });
    }
    const records = await deps.auditLog.list({ limit: PAGE + 1, before: parsed.data.before });
    const shown = records.slice(0, PAGE);
    const last = shown.at(-1);
    const older =
      records.length > PAGE && last
        ? `<p><a href="/admin/audit?before=${escapeHtml(last.id)}">${escapeHtml(w.older)}</a></p>`
        : "";
    const body = `<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.intro)}</p>
${auditTableHtml(context.lang, shown)}
${older}`;
    return web.send(reply, context, { title: w.title, body });
  });
}
