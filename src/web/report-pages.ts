import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import { REPORT_CATEGORIES, type ReportCategory } from "../db/schema.ts";
import { REPORT_COMMENT_MAX } from "../moderation/reports-input.ts";
import type { ReportsService } from "../moderation/reports-service.ts";
import { isDomainError } from "../shared/errors.ts";
import { escapeHtml } from "../shared/html.ts";
import { uuidSchema } from "../shared/input.ts";
import { noticeHtml } from "./admin-pages.ts";
import { safeNext } from "./login-page.ts";
import { actorHandle } from "./render-encounter.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * What a member does about what they do not want to see: report an encounter, a reply or an
 * account (/report, a small form: reason, comment, and "tell its server" when it is
 * elsewhere), and "I don't want to be in this" on an encounter that names them (decline,
 * hide it from their lists, and report it, in one POST).
 */

export interface ReportPagesDeps {
  web: WebKit;
  reports: Pick<ReportsService, "file" | "refuseNaming">;
  actors: Pick<ActorsRepository, "findById">;
  encounters: { findById(id: string): Promise<{ authorId: string } | undefined> };
  replies: { findById(id: string): Promise<{ authorId: string } | undefined> };
}

const W = {
  fr: {
    title: "Signaler",
    intro:
      "Ton signalement va aux modérateur·ices de l'instance. La personne signalée ne sait pas qui l'a signalée.",
    about: "Tu signales {who}.",
    reason: "Pourquoi ?",
    spam: "Spam ou publicité",
    abuse: "Harcèlement, haine ou contenu illégal",
    "unwanted-naming": "On me nomme sans mon accord",
    other: "Autre chose",
    comment: "Ce que les modérateur·ices doivent savoir (facultatif)",
    commentHint: `${REPORT_COMMENT_MAX} caractères au plus.`,
    forward: "Transmettre aussi à son serveur ({host}), sans ton nom",
    send: "Envoyer le signalement",
    sent: "Merci : ton signalement est envoyé aux modérateur·ices.",
    sentForwarded: "Merci : ton signalement est envoyé aux modérateur·ices, et transmis à {host}.",
    refused:
      "C'est fait : tu n'y figures plus dans tes listes, ta co-signature est retirée, et les modérateur·ices sont prévenu·es.",
    nothing: "Rien à signaler ici : ce compte, cette rencontre ou cette réponse n'existe pas.",
    back: "Revenir à l'accueil",
  },
  en: {
    title: "Report",
    intro:
      "Your report goes to the instance's moderators. The person reported does not learn who reported them.",
    about: "You are reporting {who}.",
    reason: "Why?",
    spam: "Spam or advertising",
    abuse: "Harassment, hate or illegal content",
    "unwanted-naming": "I am named without my consent",
    other: "Something else",
    comment: "What the moderators should know (optional)",
    commentHint: `${REPORT_COMMENT_MAX} characters at most.`,
    forward: "Also send it to their server ({host}), without your name",
    send: "Send the report",
    sent: "Thank you: your report went to the moderators.",
    sentForwarded: "Thank you: your report went to the moderators, and on to {host}.",
    refused:
      "Done: it is off your lists, your co-signature is withdrawn, and the moderators are told.",
    nothing: "Nothing to report here: this account, encounter or reply does not exist.",
    back: "Back home",
  },
} as const;

const subjectQuery = z.object({
  account: uuidSchema.optional(),
  encounter: uuidSchema.optional(),
  reply: uuidSchema.optional(),
});

const reportBody = subjectQuery.extend({
  category: z.enum(REPORT_CATEGORIES),
  comment: z
    .string()
    .max(REPORT_COMMENT_MAX * 4)
    .default(""),
  forward: z.literal("on").optional(),
});

export function registerReportPages(scope: FastifyInstance, deps: ReportPagesDeps): void {
  const { web } = deps;

  /** The account a subject points at: the author of the encounter or reply, or the account. */
  async function targetOf(subject: z.output<typeof subjectQuery>) {
    const authorId = subject.reply
      ? (await deps.replies.findById(subject.reply))?.authorId
      : subject.encounter
        ? (await deps.encounters.findById(subject.encounter))?.authorId
        : subject.account;
    return authorId ? deps.actors.findById(authorId) : undefined;
  }

  async function formPage(
    reply: FastifyReply,
    context: PageContext,
    subject: z.output<typeof subjectQuery>,
    notice?: { text: string; error?: boolean; status?: number },
    values: { category?: ReportCategory; comment?: string } = {},
  ) {
    const w = W[context.lang];
    const target = await targetOf(subject);
    if (!target) {
      return web.send(reply, context, {
        title: w.title,
        body: `<h1>${escapeHtml(w.title)}</h1>\n<p>${escapeHtml(w.nothing)}</p>`,
        status: 404,
      });
    }
    const hidden = Object.entries(subject)
      .filter(([, v]) => v)
      .map(([k, v]) => `<input type="hidden" name="${k}" value="${escapeHtml(String(v))}">`)
      .join("");
    const choices = REPORT_CATEGORIES.map(
      (c) =>
        `<p><label><input type="radio" name="category" value="${c}"${(values.category ?? "other") === c ? " checked" : ""}> ${escapeHtml(w[c])}</label></p>`,
    ).join("\n");
    const forward = target.memberId
      ? ""
      : `<p><label><input type="checkbox" name="forward" value="on"> ${escapeHtml(w.forward.replace("{host}", target.host))}</label></p>`;
    const body = `<h1>${escapeHtml(w.title)}</h1>
${noticeHtml(notice)}<p>${escapeHtml(w.intro)}</p>
<p>${escapeHtml(w.about.replace("{who}", actorHandle(target)))}</p>
<form method="post" action="/report">${context.csrfField()}${hidden}
<fieldset><legend>${escapeHtml(w.reason)}</legend>
${choices}
</fieldset>
<div class="field"><label for="report-comment">${escapeHtml(w.comment)}</label><textarea id="report-comment" name="comment" maxlength="${REPORT_COMMENT_MAX}" aria-describedby="report-comment-hint">${escapeHtml(values.comment ?? "")}</textarea>
<p class="hint" id="report-comment-hint">${escapeHtml(w.commentHint)}</p></div>
${forward}
<p><button type="submit">${escapeHtml(w.send)}</button></p>
</form>`;
    return web.send(reply, context, { title: w.title, body, status: notice?.status });
  }

  scope.get("/report", async (request, reply) => {
    if (!(await web.requireMember(request, reply))) return reply;
    const context = await web.context(request, reply);
    const query = subjectQuery.safeParse(request.query ?? {});
    return formPage(reply, context, query.success ? query.data : {});
  });

  scope.post("/report", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const parsed = reportBody.safeParse(request.body ?? {});
    const subject = subjectQuery.safeParse(request.body ?? {});
    if (!parsed.success) {
      const text = `${w.reason} — ${REPORT_CATEGORIES.map((c) => w[c]).join(", ")}. ${w.commentHint}`;
      return formPage(reply, context, subject.success ? subject.data : {}, {
        text,
        error: true,
        status: 400,
      });
    }
    const { account, encounter, reply: replyId, category, comment, forward } = parsed.data;
    try {
      const report = await deps.reports.file(member.username, {
        accountId: account,
        encounterId: encounter,
        replyId,
        category,
        comment,
        forward: forward === "on",
      });
      const text = report.forwarded
        ? w.sentForwarded.replace("{host}", report.target.host)
        : w.sent;
      const body = `<h1>${escapeHtml(w.title)}</h1>\n${noticeHtml({ text })}<p><a href="/home">${escapeHtml(w.back)}</a></p>`;
      return web.send(reply, context, { title: w.title, body });
    } catch (error) {
      if (!isDomainError(error) || error.code === "not_found") throw error;
      return formPage(
        reply,
        context,
        { account, encounter, reply: replyId },
        { text: error.message, error: true, status: 400 },
        { category, comment },
      );
    }
  });

  // "I don't want to be in this": one POST, then back where the member was.
  scope.post("/encounters/:id/unwanted", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const params = z.object({ id: uuidSchema }).safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    await deps.reports.refuseNaming(member.username, params.data.id);
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const back = safeNext((request.body as { back?: unknown } | undefined)?.back, "/home");
    const body = `<h1>${escapeHtml(w.title)}</h1>\n${noticeHtml({ text: w.refused })}<p><a href="${escapeHtml(back)}">${escapeHtml(w.back)}</a></p>`;
    return web.send(reply, context, { title: w.title, body });
  });
}
