import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AccountExport, AccountExportService } from "../accounts/account-export-service.ts";
import { DomainError } from "../shared/errors.ts";
import { escapeHtml } from "../shared/html.ts";
import { dateTimeFormat } from "../shared/intl.ts";
import { formError, notice } from "./form-kit.ts";
import type { Language } from "./i18n.ts";
import { noStore } from "./session.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * /settings/export: a member asks for the archive of their data (once a day), built by the
 * worker; the page shows its state and, once ready, a download link that only its member can
 * follow, for 7 days.
 */

export interface ExportPageDeps {
  web: WebKit;
  accountExports: Pick<AccountExportService, "request" | "list" | "download">;
}

const W = {
  fr: {
    title: "Exporter mes données",
    intro:
      "Une archive ZIP de ton compte : ton profil et tes réglages, tes rencontres (écrites ou co-signées), tes réponses, tes « j'aime », tes photos, ton suivi privé (dans un fichier à part, marqué privé) et tes listes d'abonnements et d'abonné·es au format de Mastodon.",
    how: "Elle est préparée en arrière-plan : reviens sur cette page dans quelques minutes. Une archive par jour ; chacune reste téléchargeable 7 jours, puis elle est effacée.",
    ask: "Préparer mon archive",
    asked: "C'est demandé : ton archive est en préparation.",
    none: "Aucune archive pour l'instant.",
    states: { pending: "en préparation", ready: "prête", failed: "échec" },
    askedAt: "Demandée le",
    expires: "téléchargeable jusqu'au",
    download: "Télécharger",
    failed: "La préparation a échoué ; tu peux en demander une autre.",
    once: "Une archive par jour : tu en as déjà demandé une. Réessaie demain.",
  },
  en: {
    title: "Export my data",
    intro:
      "A ZIP archive of your account: your profile and settings, your encounters (written or co-signed), your replies, your likes, your photos, your private tracker (in a file of its own, marked private) and your following and followers lists in Mastodon's format.",
    how: "It is prepared in the background: come back to this page in a few minutes. One archive a day; each can be downloaded for 7 days, then it is erased.",
    ask: "Prepare my archive",
    asked: "Asked: your archive is being prepared.",
    none: "No archive yet.",
    states: { pending: "being prepared", ready: "ready", failed: "failed" },
    askedAt: "Asked on",
    expires: "can be downloaded until",
    download: "Download",
    failed: "Preparing it failed; you can ask for another one.",
    once: "One archive a day: you already asked for one. Try again tomorrow.",
  },
} as const;

const when = (lang: Language, at: Date) =>
  dateTimeFormat(lang === "fr" ? "fr-FR" : "en-GB", {
    dateStyle: "long",
    timeStyle: "short",
    timeZone: "UTC",
  }).format(at);

function exportItem(lang: Language, row: AccountExport): string {
  const w = W[lang];
  const state = `<strong>${escapeHtml(w.states[row.state])}</strong>`;
  const asked = `${escapeHtml(w.askedAt)} ${escapeHtml(when(lang, row.createdAt))} UTC`;
  if (row.state === "ready") {
    const size = row.sizeBytes ? ` (${Math.ceil(row.sizeBytes / 1024)} KiB)` : "";
    return `<li>${asked} — ${state}, ${escapeHtml(w.expires)} ${escapeHtml(when(lang, row.expiresAt))} UTC — <a href="/settings/export/${row.id}/download" download>${escapeHtml(w.download)}</a>${size}</li>`;
  }
  const failed = row.state === "failed" ? ` ${escapeHtml(w.failed)}` : "";
  return `<li>${asked} — ${state}.${failed}</li>`;
}

export function registerExportPage(scope: FastifyInstance, deps: ExportPageDeps): void {
  const { web } = deps;

  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    username: string,
    state: { status?: number; error?: string; asked?: boolean } = {},
  ) {
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const rows = await deps.accountExports.list(username);
    const list = rows.length
      ? `<ul class="exports">\n${rows.map((row) => exportItem(context.lang, row)).join("\n")}\n</ul>`
      : `<p>${escapeHtml(w.none)}</p>`;
    const body = `<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.intro)}</p>
<p class="hint">${escapeHtml(w.how)}</p>
${formError({ form: state.error })}${notice(state.asked ? w.asked : undefined)}
<form method="post" action="/settings/export">
${context.csrfField()}
<p><button type="submit">${escapeHtml(w.ask)}</button></p>
</form>
${list}`;
    return web.send(noStore(reply), context, { title: w.title, body, status: state.status });
  }

  scope.get("/settings/export", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const asked = (request.query as Record<string, unknown>).asked === "1";
    return page(request, reply, member.username, { asked });
  });

  scope.post("/settings/export", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    try {
      await deps.accountExports.request(member.username);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === "conflict")) throw error;
      const { lang } = await web.context(request, reply);
      return page(request, reply, member.username, { status: 429, error: W[lang].once });
    }
    return reply.redirect("/settings/export?asked=1", 303);
  });

  scope.get("/settings/export/:id/download", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const { id } = request.params as { id: string };
    // Someone else's archive, an expired or unknown one: not found, whoever asks.
    const file = await deps.accountExports.download(member.username, id);
    if (!file) return reply.callNotFound();
    return noStore(reply)
      .type("application/zip")
      .header("content-disposition", `attachment; filename="${file.fileName}"`)
      .send(file.bytes);
  });
}
