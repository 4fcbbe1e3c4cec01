import multipart from "@fastify/multipart";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Member } from "../accounts/members-service.ts";
import { multipartError } from "../api/encounter-body.ts";
import type { Moderator } from "../moderation/audit-log.ts";
import type { DomainPoliciesService } from "../moderation/domain-policies.ts";
import { REASON_MAX } from "../moderation/domain-policies.ts";
import {
  CSV_MAX_BYTES,
  type CsvLineError,
  formatDomainPoliciesCsv,
  importDomainPoliciesCsv,
} from "../moderation/domain-policies-csv.ts";
import { DomainError, isDomainError } from "../shared/errors.ts";
import { escapeHtml } from "../shared/html.ts";
import { noticeHtml, requireStaff } from "./admin-pages.ts";
import { stackedCell } from "./layout.ts";
import { formatInstant } from "./render-encounter.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * /admin/domains (admins): the blocked and limited domains, a form to add one, a button to
 * lift each, whether the list is published (/api/v1/instance/domain_blocks), and the list as
 * Mastodon's CSV (download, upload with an error per refused line).
 */

const W = {
  fr: {
    title: "Domaines bloqués et limités",
    intro:
      "Bloquer un domaine (et ses sous-domaines) : ses messages sont refusés, rien ne lui est envoyé, ses abonnements et ses rencontres sont oubliés. Le limiter : ses rencontres quittent la page publique #Socialdapres et ses abonnements attendent l'accord du ou de la membre.",
    host: "Domaine",
    severity: "Mesure",
    block: "Bloquer",
    limit: "Limiter",
    blocked: "bloqué",
    limited: "limité",
    publicReason: "Raison publique (facultative)",
    privateComment: "Commentaire pour l'équipe (facultatif, jamais publié)",
    add: "Appliquer",
    since: "Depuis",
    remove: "Lever",
    removeOf: "Lever la mesure sur {host}",
    none: "Aucun domaine n'est bloqué ni limité.",
    added: "{host} est {what}.",
    addedRemoved:
      "{host} est bloqué ; {n} de ses comptes oubliés avec leurs abonnements et rencontres.",
    removed: "{host} n'est plus {what}.",
    publishTitle: "Publier la liste",
    published:
      "La liste est publiée : n'importe qui la lit sur /api/v1/instance/domain_blocks (sans les commentaires pour l'équipe).",
    unpublished: "La liste n'est pas publiée : /api/v1/instance/domain_blocks répond 404.",
    publish: "Publier",
    unpublish: "Ne plus publier",
    csvTitle: "Importer, exporter (format CSV de Mastodon)",
    export: "Télécharger la liste (CSV)",
    file: "Fichier CSV de Mastodon",
    import: "Importer",
    imported: "{n} domaine(s) appliqué(s).",
    refusedLines: "Lignes refusées :",
    line: "ligne {n} : ",
    noFile: "Choisis un fichier CSV à importer.",
  },
  en: {
    title: "Blocked and limited domains",
    intro:
      "Blocking a domain (and its subdomains): its messages are refused, nothing is sent to it, its follows and encounters are forgotten. Limiting it: its encounters leave the public #Socialdapres page and its follows wait for the member's approval.",
    host: "Domain",
    severity: "Measure",
    block: "Block",
    limit: "Limit",
    blocked: "blocked",
    limited: "limited",
    publicReason: "Public reason (optional)",
    privateComment: "Comment for the team (optional, never published)",
    add: "Apply",
    since: "Since",
    remove: "Lift",
    removeOf: "Lift the measure on {host}",
    none: "No domain is blocked or limited.",
    added: "{host} is {what}.",
    addedRemoved:
      "{host} is blocked; {n} of its accounts forgotten with their follows and encounters.",
    removed: "{host} is no longer {what}.",
    publishTitle: "Publish the list",
    published:
      "The list is published: anyone reads it at /api/v1/instance/domain_blocks (without the team's comments).",
    unpublished: "The list is not published: /api/v1/instance/domain_blocks answers 404.",
    publish: "Publish",
    unpublish: "Stop publishing",
    csvTitle: "Import, export (Mastodon's CSV format)",
    export: "Download the list (CSV)",
    file: "Mastodon CSV file",
    import: "Import",
    imported: "{n} domain(s) applied.",
    refusedLines: "Refused lines:",
    line: "line {n}: ",
    noFile: "Choose a CSV file to import.",
  },
} as const;

type Words = (typeof W)["fr" | "en"];
type Notice = { text: string; error?: boolean; status?: number; lines?: CsvLineError[] };

const field = z.string().max(2000).optional();
const addBody = z.object({
  host: field,
  severity: field,
  publicReason: field,
  privateComment: field,
});
const hostBody = z.object({ host: z.string().max(300) });
const publishBody = z.object({ published: z.enum(["0", "1"]) });

export const webModerator = (member: Member): Moderator => ({ memberId: member.id, via: "web" });

export function registerAdminDomainsPage(
  scope: FastifyInstance,
  deps: { web: WebKit; domainPolicies: DomainPoliciesService },
): void {
  const { web, domainPolicies: service } = deps;
  const what = (w: Words, severity: string) => (severity === "block" ? w.blocked : w.limited);

  async function page(reply: FastifyReply, context: PageContext, notice?: Notice) {
    const { lang } = context;
    const w = W[lang];
    const policies = await service.list();
    const published = await service.isPublished();
    const rows = policies
      .map(
        (
          p,
        ) => `<tr><th scope="row">${escapeHtml(p.host)}</th>${stackedCell(w.severity, escapeHtml(what(w, p.severity)))}${stackedCell(w.publicReason, escapeHtml(p.publicReason ?? ""))}${stackedCell(w.since, escapeHtml(formatInstant(lang, p.createdAt)))}
<td><form method="post" action="/admin/domains/remove">${context.csrfField()}<input type="hidden" name="host" value="${escapeHtml(p.host)}"><button type="submit" class="secondary" aria-label="${escapeHtml(w.removeOf.replace("{host}", p.host))}">${escapeHtml(w.remove)}</button></form></td></tr>`,
      )
      .join("\n");
    const lines = notice?.lines?.length
      ? `<p>${escapeHtml(w.refusedLines)}</p><ul class="errors">${notice.lines
          .map(
            (l) =>
              `<li>${escapeHtml(w.line.replace("{n}", String(l.line)))}${escapeHtml(l.error)}</li>`,
          )
          .join("")}</ul>\n`
      : "";
    const table = policies.length
      ? `<div class="table-scroll"><table class="stacked">
<thead><tr><th scope="col">${escapeHtml(w.host)}</th><th scope="col">${escapeHtml(w.severity)}</th><th scope="col">${escapeHtml(w.publicReason)}</th><th scope="col">${escapeHtml(w.since)}</th><th scope="col"><span class="visually-hidden">${escapeHtml(w.remove)}</span></th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`
      : `<p>${escapeHtml(w.none)}</p>`;
    const body = `<h1>${escapeHtml(w.title)}</h1>
${noticeHtml(notice)}${lines}<p>${escapeHtml(w.intro)}</p>
<form method="post" action="/admin/domains">
${context.csrfField()}
<div class="field"><label for="domain-host">${escapeHtml(w.host)}</label><input id="domain-host" name="host" type="text" required maxlength="260" placeholder="example.com"></div>
<fieldset><legend>${escapeHtml(w.severity)}</legend>
<p><input type="radio" id="domain-block" name="severity" value="block" checked> <label for="domain-block">${escapeHtml(w.block)}</label></p>
<p><input type="radio" id="domain-limit" name="severity" value="limit"> <label for="domain-limit">${escapeHtml(w.limit)}</label></p>
</fieldset>
<div class="field"><label for="domain-reason">${escapeHtml(w.publicReason)}</label><input id="domain-reason" name="publicReason" type="text" maxlength="${REASON_MAX}"></div>
<div class="field"><label for="domain-comment">${escapeHtml(w.privateComment)}</label><input id="domain-comment" name="privateComment" type="text" maxlength="${REASON_MAX}"></div>
<p><button type="submit">${escapeHtml(w.add)}</button></p>
</form>
${table}
<h2>${escapeHtml(w.publishTitle)}</h2>
<p>${escapeHtml(published ? w.published : w.unpublished)}</p>
<form method="post" action="/admin/domains/publish">${context.csrfField()}<input type="hidden" name="published" value="${published ? "0" : "1"}"><button type="submit" class="secondary">${escapeHtml(published ? w.unpublish : w.publish)}</button></form>
<h2>${escapeHtml(w.csvTitle)}</h2>
<p><a href="/admin/domains/export.csv" download>${escapeHtml(w.export)}</a></p>
<form method="post" action="/admin/domains/import" enctype="multipart/form-data">
${context.csrfField()}
<div class="field"><label for="domain-csv">${escapeHtml(w.file)}</label><input id="domain-csv" name="file" type="file" accept=".csv,text/csv"></div>
<p><button type="submit" class="secondary">${escapeHtml(w.import)}</button></p>
</form>`;
    return web.send(reply, context, { title: w.title, body, status: notice?.status });
  }

  /** Runs an action and shows the page with what it did, or why it could not. */
  async function acting(
    request: FastifyRequest,
    reply: FastifyReply,
    act: (admin: Member, w: Words) => Promise<Notice>,
  ) {
    const admin = await requireStaff(web, request, reply, "admin");
    if (!admin) return reply;
    const context = await web.context(request, reply);
    try {
      return page(reply, context, await act(admin, W[context.lang]));
    } catch (error) {
      if (!isDomainError(error)) throw error;
      const status = error.code === "not_found" ? 404 : error.code === "conflict" ? 409 : 400;
      return page(reply, context, { text: error.message, error: true, status });
    }
  }

  scope.get("/admin/domains", async (request, reply) => {
    if (!(await requireStaff(web, request, reply, "admin"))) return reply;
    return page(reply, await web.context(request, reply));
  });

  scope.post("/admin/domains", { preHandler: web.checkCsrf }, (request, reply) =>
    acting(request, reply, async (admin, w) => {
      const parsed = addBody.safeParse(request.body ?? {});
      if (!parsed.success) throw new DomainError("invalid", "A field of the form is too long.");
      const body = parsed.data;
      const severity = body.severity === "limit" ? "limit" : "block";
      const done = await service.set(
        {
          host: body.host ?? "",
          severity,
          publicReason: body.publicReason,
          privateComment: body.privateComment,
        },
        webModerator(admin),
      );
      const text =
        severity === "block"
          ? w.addedRemoved.replace("{n}", String(done.actorsRemoved))
          : w.added.replace("{what}", w.limited);
      return { text: text.replace("{host}", done.policy.host) };
    }),
  );

  scope.post("/admin/domains/remove", { preHandler: web.checkCsrf }, (request, reply) =>
    acting(request, reply, async (admin, w) => {
      const body = hostBody.safeParse(request.body ?? {});
      if (!body.success) throw new DomainError("invalid", "host: the domain to lift.");
      const removed = await service.remove(body.data.host, webModerator(admin));
      return {
        text: w.removed
          .replace("{host}", removed.host)
          .replace("{what}", what(w, removed.severity)),
      };
    }),
  );

  scope.post("/admin/domains/publish", { preHandler: web.checkCsrf }, (request, reply) =>
    acting(request, reply, async (admin, w) => {
      const body = publishBody.safeParse(request.body ?? {});
      if (!body.success) throw new DomainError("invalid", "published: 0 or 1.");
      const published = body.data.published === "1";
      await service.setPublished(published, webModerator(admin));
      return { text: published ? w.published : w.unpublished };
    }),
  );

  scope.get("/admin/domains/export.csv", async (request, reply) => {
    if (!(await requireStaff(web, request, reply, "admin"))) return reply;
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", 'attachment; filename="domain_blocks.csv"')
      .send(formatDomainPoliciesCsv(await service.list()));
  });

  // The upload: multipart, in its own scope, one file of 1 MiB at most.
  scope.register(async (forms) => {
    await forms.register(multipart, {
      attachFieldsToBody: "keyValues",
      limits: { fileSize: CSV_MAX_BYTES, files: 1, fields: 5, parts: 6, fieldSize: 1024 },
    });
    const parsed = new WeakSet<FastifyRequest>();
    forms.addHook("preHandler", async (request) => {
      parsed.add(request);
    });
    forms.setErrorHandler((error: FastifyError, request) => {
      // Only the body's own errors (read before any handler ran) are reworded here: a body cut
      // short or without its boundary is a 4xx saying so, never a 500.
      if (parsed.has(request)) throw error;
      throw multipartError(error, {
        one: "The file is",
        limit: "Send one CSV file.",
        maxBytes: CSV_MAX_BYTES,
      });
    });
    forms.post("/admin/domains/import", { preHandler: web.checkCsrf }, (request, reply) =>
      acting(request, reply, async (admin, w) => {
        const file = (request.body as Record<string, unknown> | undefined)?.file;
        const text = Buffer.isBuffer(file) ? file.toString("utf8") : "";
        if (!text.trim()) return { text: w.noFile, error: true, status: 400 };
        const { applied, errors } = await importDomainPoliciesCsv(
          service,
          text,
          webModerator(admin),
        );
        return {
          text: w.imported.replace("{n}", String(applied)),
          error: errors.length > 0,
          status: errors.length > 0 ? 422 : 200,
          lines: errors,
        };
      }),
    );
  });
}
