import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { ActorRow } from "../actors/actors-repository.ts";
import type { ReportCategory } from "../db/schema.ts";
import { RESOLUTION_NOTE_MAX } from "../moderation/reports-input.ts";
import type { ReportsService, ReportView } from "../moderation/reports-service.ts";
import { isDomainError } from "../shared/errors.ts";
import { escapeHtml, userTextHtml } from "../shared/html.ts";
import { uuidSchema } from "../shared/input.ts";
import { noticeHtml, requireStaff } from "./admin-pages.ts";
import { stackedCell } from "./layout.ts";
import { actorHandle, formatInstant } from "./render-encounter.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * /admin/reports (admins and moderators): the queue, open reports first, each with who
 * reported, whom, the words reported and the comment; /admin/reports/:id: one report, with a
 * link to the account's moderation page (/admin/accounts/:account) and the form that resolves
 * it with a note. Nothing private: no e-mail, nothing of anyone's tracker.
 */

export interface AdminReportsDeps {
  web: WebKit;
  reports: Pick<ReportsService, "list" | "get" | "resolve">;
  /** This instance's host: a local account's moderation page is named by its username alone. */
  localHost: string;
}

const W = {
  fr: {
    title: "Signalements",
    intro: "Les signalements ouverts d'abord. Ouvre-en un pour le lire en entier et le clore.",
    all: "Voir aussi les signalements clos",
    openOnly: "Seulement les signalements ouverts",
    none: "Aucun signalement.",
    when: "Reçu le",
    reporter: "Par",
    target: "Compte signalé",
    category: "Motif",
    subject: "Ce qui est signalé",
    comment: "Commentaire",
    state: "État",
    open: "ouvert",
    resolved: "clos",
    read: "Lire",
    report: "Signalement",
    forwarded: "Reçu d'un autre serveur, ou transmis à celui du compte signalé.",
    account: "Page de modération du compte",
    encounter: "Rencontre signalée",
    reply: "Réponse signalée",
    note: "Note de clôture (facultative)",
    noteHint: `Ce que tu as fait ou décidé. ${RESOLUTION_NOTE_MAX} caractères au plus.`,
    resolve: "Clore le signalement",
    resolvedBy: "Clos par @{name} le {date}.",
    resolvedDone: "Le signalement est clos.",
    back: "Retour aux signalements",
    categories: {
      spam: "spam",
      abuse: "abus",
      "unwanted-naming": "nommé·e sans accord",
      other: "autre",
    },
  },
  en: {
    title: "Reports",
    intro: "Open reports first. Open one to read it whole and resolve it.",
    all: "Show resolved reports too",
    openOnly: "Open reports only",
    none: "No reports.",
    when: "Received",
    reporter: "By",
    target: "Reported account",
    category: "Reason",
    subject: "What is reported",
    comment: "Comment",
    state: "State",
    open: "open",
    resolved: "resolved",
    read: "Read",
    report: "Report",
    forwarded: "Received from another server, or forwarded to the reported account's.",
    account: "The account's moderation page",
    encounter: "Reported encounter",
    reply: "Reported reply",
    note: "Resolution note (optional)",
    noteHint: `What you did or decided. ${RESOLUTION_NOTE_MAX} characters at most.`,
    resolve: "Resolve the report",
    resolvedBy: "Resolved by @{name} on {date}.",
    resolvedDone: "The report is resolved.",
    back: "Back to reports",
    categories: {
      spam: "spam",
      abuse: "abuse",
      "unwanted-naming": "named without consent",
      other: "other",
    },
  },
} as const;

const PAGE = 100;
const listQuery = z.object({ all: z.literal("1").optional() });
const idParams = z.object({ id: uuidSchema });
const resolveBody = z.object({
  note: z
    .string()
    .max(RESOLUTION_NOTE_MAX * 4)
    .default(""),
});

const excerpt = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

export function registerAdminReportsPages(scope: FastifyInstance, deps: AdminReportsDeps): void {
  const { web } = deps;

  /** The other engineer's page: `/admin/accounts/bea` here, `/admin/accounts/antoine@b.example` elsewhere. */
  const accountPath = (actor: ActorRow) =>
    `/admin/accounts/${encodeURIComponent(actor.host === deps.localHost ? actor.username : `${actor.username}@${actor.host}`)}`;

  const category = (lang: "fr" | "en", c: ReportCategory) => W[lang].categories[c];

  function subjectText(report: ReportView): string {
    return report.reply?.text ?? report.encounter?.text ?? "";
  }

  scope.get("/admin/reports", async (request, reply) => {
    if (!(await requireStaff(web, request, reply, "staff"))) return reply;
    const context = await web.context(request, reply);
    const { lang } = context;
    const w = W[lang];
    const all = listQuery.safeParse(request.query ?? {}).data?.all === "1";
    const listed = await deps.reports.list({ all, limit: PAGE });
    const rows = listed
      .map(
        (r) => `<tr><th scope="row">${escapeHtml(formatInstant(lang, r.createdAt))}</th>
${stackedCell(w.reporter, `<bdi dir="ltr">${userTextHtml(actorHandle(r.reporter))}</bdi>`)}
${stackedCell(w.target, `<a href="${escapeHtml(accountPath(r.target))}" dir="ltr">${userTextHtml(actorHandle(r.target))}</a>`)}
${stackedCell(w.category, escapeHtml(category(lang, r.category)))}
${stackedCell(w.subject, userTextHtml(excerpt(subjectText(r), 140)))}
${stackedCell(w.comment, userTextHtml(excerpt(r.comment, 140)))}
${stackedCell(w.state, escapeHtml(r.state === "open" ? w.open : w.resolved))}
<td><a href="/admin/reports/${r.id}">${escapeHtml(w.read)}</a></td></tr>`,
      )
      .join("\n");
    const table = listed.length
      ? `<div class="table-scroll"><table class="stacked">
<thead><tr>${[w.when, w.reporter, w.target, w.category, w.subject, w.comment, w.state]
          .map((h) => `<th scope="col">${escapeHtml(h)}</th>`)
          .join(
            "",
          )}<th scope="col"><span class="visually-hidden">${escapeHtml(w.read)}</span></th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`
      : `<p>${escapeHtml(w.none)}</p>`;
    const toggle = all
      ? `<a href="/admin/reports">${escapeHtml(w.openOnly)}</a>`
      : `<a href="/admin/reports?all=1">${escapeHtml(w.all)}</a>`;
    const body = `<h1>${escapeHtml(w.title)}</h1>\n<p>${escapeHtml(w.intro)}</p>\n<p>${toggle}</p>\n${table}`;
    return web.send(reply, context, { title: w.title, body });
  });

  async function reportPage(
    reply: FastifyReply,
    context: PageContext,
    report: ReportView,
    notice?: { text: string; error?: boolean; status?: number },
  ) {
    const { lang } = context;
    const w = W[lang];
    const quoted = (label: string, text: string) =>
      `<h2>${escapeHtml(label)}</h2>\n<blockquote>${userTextHtml(text)}</blockquote>`;
    const resolution =
      report.state === "resolved"
        ? `<p>${escapeHtml(
            w.resolvedBy
              .replace("{name}", report.resolverUsername ?? "?")
              .replace("{date}", report.resolvedAt ? formatInstant(lang, report.resolvedAt) : ""),
          )}</p>${report.resolutionNote ? `\n<blockquote>${userTextHtml(report.resolutionNote)}</blockquote>` : ""}`
        : `<form method="post" action="/admin/reports/${report.id}/resolve">${context.csrfField()}
<div class="field"><label for="resolve-note">${escapeHtml(w.note)}</label><textarea id="resolve-note" name="note" maxlength="${RESOLUTION_NOTE_MAX}" aria-describedby="resolve-note-hint"></textarea>
<p class="hint" id="resolve-note-hint">${escapeHtml(w.noteHint)}</p></div>
<p><button type="submit">${escapeHtml(w.resolve)}</button></p>
</form>`;
    const body = `<h1>${escapeHtml(w.report)}</h1>
${noticeHtml(notice)}<dl>
<dt>${escapeHtml(w.when)}</dt><dd>${escapeHtml(formatInstant(lang, report.createdAt))}</dd>
<dt>${escapeHtml(w.reporter)}</dt><dd dir="ltr">${userTextHtml(actorHandle(report.reporter))}</dd>
<dt>${escapeHtml(w.target)}</dt><dd><span dir="ltr">${userTextHtml(actorHandle(report.target))}</span> · <a href="${escapeHtml(accountPath(report.target))}">${escapeHtml(w.account)}</a></dd>
<dt>${escapeHtml(w.category)}</dt><dd>${escapeHtml(category(lang, report.category))}</dd>
<dt>${escapeHtml(w.state)}</dt><dd>${escapeHtml(report.state === "open" ? w.open : w.resolved)}</dd>
</dl>
${report.forwarded ? `<p>${escapeHtml(w.forwarded)}</p>\n` : ""}${report.encounter ? quoted(w.encounter, report.encounter.text) : ""}
${report.reply ? quoted(w.reply, report.reply.text) : ""}
${report.comment ? quoted(w.comment, report.comment) : ""}
${resolution}
<p><a href="/admin/reports">${escapeHtml(w.back)}</a></p>`;
    return web.send(reply, context, { title: w.report, body, status: notice?.status });
  }

  scope.get("/admin/reports/:id", async (request, reply) => {
    if (!(await requireStaff(web, request, reply, "staff"))) return reply;
    const params = idParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const context = await web.context(request, reply);
    return reportPage(reply, context, await deps.reports.get(params.data.id));
  });

  scope.post(
    "/admin/reports/:id/resolve",
    { preHandler: web.checkCsrf },
    async (request, reply) => {
      const moderator = await requireStaff(web, request, reply, "staff");
      if (!moderator) return reply;
      const params = idParams.safeParse(request.params);
      if (!params.success) return reply.callNotFound();
      const context = await web.context(request, reply);
      const w = W[context.lang];
      const body = resolveBody.safeParse(request.body ?? {});
      try {
        const report = await deps.reports.resolve(params.data.id, {
          moderatorId: moderator.id,
          via: "web",
          note: body.success ? body.data.note : undefined,
        });
        return reportPage(reply, context, report, { text: w.resolvedDone });
      } catch (error) {
        if (!isDomainError(error) || error.code === "not_found") throw error;
        const report = await deps.reports.get(params.data.id);
        const status = error.code === "conflict" ? 409 : 400;
        return reportPage(reply, context, report, { text: error.message, error: true, status });
      }
    },
  );
}
