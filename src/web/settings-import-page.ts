import multipart from "@fastify/multipart";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { multipartError } from "../api/encounter-body.ts";
import type { FollowImportService } from "../follows/follow-import-service.ts";
import type { ParsedFollowing } from "../follows/mastodon-csv.ts";
import { escapeHtml } from "../shared/html.ts";
import { formError, notice } from "./form-kit.ts";
import { noStore } from "./session.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * /settings/import: a member uploads the following list they exported from Mastodon (a CSV of
 * at most 1 MB). Its lines are read here, each account queued; the worker looks them up and
 * follows them, and this page shows how far it got.
 */

export interface ImportPageDeps {
  web: WebKit;
  followImports: Pick<FollowImportService, "importCsv" | "progress">;
}

/** The largest list accepted: Mastodon's exports of thousands of accounts stay well below. */
export const IMPORT_MAX_BYTES = 1024 * 1024;

const W = {
  fr: {
    title: "Importer mes abonnements",
    intro:
      "Depuis Mastodon (Préférences → Import et export → Export de données → « Abonnements »), télécharge le fichier CSV de tes abonnements, puis envoie-le ici : chaque compte sera suivi, un par un, en arrière-plan.",
    file: "Fichier CSV (1 Mo au plus)",
    send: "Importer",
    queued: "{n} comptes à suivre ajoutés.",
    badLines: "Lignes ignorées :",
    line: "ligne",
    colon: " :",
    progress: "Avancement",
    done: "suivis",
    pending: "en attente",
    failed: "en échec",
    failures: "Comptes qui n'ont pas pu être suivis :",
    noFile: "Choisis le fichier CSV de tes abonnements.",
    tooLarge: "Ce fichier dépasse 1 Mo : envoie la liste de tes abonnements seulement.",
    notText: "Ce fichier n'est pas un texte CSV : envoie l'export « Abonnements » de Mastodon.",
  },
  en: {
    title: "Import my follows",
    intro:
      "From Mastodon (Preferences → Import and export → Data export → “Follows”), download the CSV file of the accounts you follow, then send it here: each account will be followed, one by one, in the background.",
    file: "CSV file (1 MB at most)",
    send: "Import",
    queued: "{n} accounts to follow added.",
    badLines: "Lines left out:",
    line: "line",
    colon: ":",
    progress: "Progress",
    done: "followed",
    pending: "waiting",
    failed: "failed",
    failures: "Accounts that could not be followed:",
    noFile: "Choose the CSV file of your follows.",
    tooLarge: "This file is larger than 1 MB: send the list of your follows only.",
    notText: "This file is not CSV text: send Mastodon's “Follows” export.",
  },
} as const;

export function registerImportPage(scope: FastifyInstance, deps: ImportPageDeps): void {
  const { web } = deps;

  scope.register(async (forms) => {
    await forms.register(multipart, {
      attachFieldsToBody: "keyValues",
      limits: { fileSize: IMPORT_MAX_BYTES, files: 1, fields: 5, parts: 6, fieldSize: 1024 },
    });
    const parsed = new WeakSet<FastifyRequest>();
    forms.addHook("preHandler", async (request) => {
      parsed.add(request);
    });

    async function page(
      request: FastifyRequest,
      reply: FastifyReply,
      username: string,
      state: {
        status?: number;
        error?: string;
        queued?: number;
        errors?: ParsedFollowing["errors"];
      } = {},
    ) {
      const context = await web.context(request, reply);
      const w = W[context.lang];
      const progress = await deps.followImports.progress(username);
      const bad = state.errors?.length
        ? `<p>${escapeHtml(w.badLines)}</p>\n<ul class="import-errors">\n${state.errors
            .slice(0, 100)
            .map(
              (e) => `<li>${escapeHtml(w.line)} ${e.line}${w.colon} ${escapeHtml(e.message)}</li>`,
            )
            .join("\n")}\n</ul>`
        : "";
      const failures = progress.failures.length
        ? `<p>${escapeHtml(w.failures)}</p>\n<ul class="import-failures">\n${progress.failures
            .map(
              (f) =>
                `<li>${escapeHtml(f.handle)} (${escapeHtml(w.line)} ${f.line})${w.colon} ${escapeHtml(f.error)}</li>`,
            )
            .join("\n")}\n</ul>`
        : "";
      const queued =
        state.queued === undefined ? undefined : w.queued.replace("{n}", String(state.queued));
      const body = `<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.intro)}</p>
${formError({ form: state.error })}${notice(queued)}
${bad}
<form method="post" action="/settings/import" enctype="multipart/form-data">
${context.csrfField()}
<p><label for="import-file">${escapeHtml(w.file)}</label>
<input type="file" id="import-file" name="file" accept=".csv,text/csv,text/plain" required></p>
<p><button type="submit">${escapeHtml(w.send)}</button></p>
</form>
<h2>${escapeHtml(w.progress)}</h2>
<p class="import-progress"><span data-count="done">${progress.done}</span> ${escapeHtml(w.done)} · <span data-count="pending">${progress.pending}</span> ${escapeHtml(w.pending)} · <span data-count="failed">${progress.failed}</span> ${escapeHtml(w.failed)}</p>
${failures}`;
      return web.send(noStore(reply), context, { title: w.title, body, status: state.status });
    }

    forms.get("/settings/import", async (request, reply) => {
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      return page(request, reply, member.username);
    });

    forms.post("/settings/import", { preHandler: web.checkCsrf }, async (request, reply) => {
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const { lang } = await web.context(request, reply);
      const file = (request.body as Record<string, unknown> | undefined)?.file;
      if (!Buffer.isBuffer(file) || file.length === 0) {
        return page(request, reply, member.username, { status: 422, error: W[lang].noFile });
      }
      const text = file.toString("utf8");
      if (text.includes("\u0000") || text.includes("\uFFFD")) {
        return page(request, reply, member.username, { status: 422, error: W[lang].notText });
      }
      const result = await deps.followImports.importCsv(member.username, text);
      return page(request, reply, member.username, {
        status: result.queued === 0 && result.errors.length > 0 ? 422 : 200,
        queued: result.queued,
        errors: result.errors,
      });
    });

    forms.setErrorHandler(async (error: FastifyError, request, reply) => {
      // Only the body's own errors (read before any handler ran) are reworded here.
      if (parsed.has(request) || !request.isMultipart()) throw error;
      const tooLarge = ["FST_REQ_FILE_TOO_LARGE", "FST_FILES_LIMIT", "FST_PARTS_LIMIT"];
      if (request.method !== "POST" || !tooLarge.includes(error.code)) {
        // A body cut short, without boundary, with odd fields: a 4xx saying so.
        throw multipartError(error, {
          one: "The file is",
          limit: "Send one CSV file.",
          maxBytes: IMPORT_MAX_BYTES,
        });
      }
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const { lang } = await web.context(request, reply);
      return page(request, reply, member.username, { status: 413, error: W[lang].tooLarge });
    });
  });
}
