import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { type AccountMoveService, MAX_ALIASES } from "../accounts/account-move-service.ts";
import { DomainError } from "../shared/errors.ts";
import { escapeHtml } from "../shared/html.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { inputField } from "./form-fields.ts";
import { type FieldErrors, fieldError, invalidAttrs, notice } from "./form-kit.ts";
import { noStore } from "./session.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * /settings/move: moving in (the member's other accounts, published as `alsoKnownAs`, so that
 * an account elsewhere can move here with its followers) and moving out (to an account that
 * names this one as its own: the followers are sent a `Move` and follow the new account).
 */

export interface MovePageDeps {
  web: WebKit;
  accountMoves: Pick<AccountMoveService, "status" | "setAliases" | "moveTo">;
  urls: Pick<LocalUrls, "actor">;
}

const W = {
  fr: {
    title: "Déménager",
    inTitle: "Venir d'un autre compte",
    inIntro:
      "Pour déménager ici depuis un autre compte (Mastodon ou autre), écris-le ci-dessous : il sera annoncé comme un autre nom de ce compte. Ensuite, lance le déménagement depuis l'ancien serveur ; tes abonné·es te suivront ici.",
    aliases: "Tes autres comptes (@nom@serveur ou adresse, un par ligne, 5 au plus)",
    saveAliases: "Enregistrer",
    aliasesSaved: "Enregistré : ces comptes peuvent maintenant déménager ici.",
    outTitle: "Partir vers un autre compte",
    outIntro:
      "Sur le nouveau serveur, ajoute d'abord ce compte ({me}) comme alias. Puis écris ici le nouveau compte : tes abonné·es le suivront, ce profil dira où tu es partie·e, tes rencontres resteront lisibles, mais tu ne pourras plus publier depuis ce compte.",
    target: "Le nouveau compte (@nom@serveur ou adresse)",
    move: "Déménager vers ce compte",
    moved: "Ce compte a déménagé vers {to}.",
    notAliased:
      "Ce compte ne se dit pas encore le tien : ajoute d'abord {me} comme alias sur le nouveau serveur, puis réessaie.",
    tooMany: "5 comptes au plus.",
  },
  en: {
    title: "Move",
    inTitle: "Coming from another account",
    inIntro:
      "To move here from another account (Mastodon or another), write it below: it will be announced as another name of this account. Then start the move from the old server; your followers will follow you here.",
    aliases: "Your other accounts (@name@server or address, one a line, 5 at most)",
    saveAliases: "Save",
    aliasesSaved: "Saved: these accounts can now move here.",
    outTitle: "Leaving for another account",
    outIntro:
      "On the new server, first add this account ({me}) as an alias. Then write the new account here: your followers will follow it, this profile will say where you went, your encounters stay readable, but you can no longer post from this account.",
    target: "The new account (@name@server or address)",
    move: "Move to this account",
    moved: "This account has moved to {to}.",
    notAliased:
      "That account does not call itself yours yet: add this account as an alias on the new server first ({me}), then try again.",
    tooMany: "5 accounts at most.",
  },
} as const;

const aliasesForm = z.object({ aliases: z.string().max(5000).default("") });
const moveForm = z.object({ target: z.string().trim().min(3).max(500) });

export function registerMovePage(scope: FastifyInstance, deps: MovePageDeps): void {
  const { web } = deps;

  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    username: string,
    state: {
      status?: number;
      errors?: FieldErrors;
      saved?: boolean;
      aliases?: string;
      target?: string;
    } = {},
  ) {
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const me = deps.urls.actor(username).href;
    const status = await deps.accountMoves.status(username);
    const errors = state.errors ?? {};
    const moved = status.movedTo
      ? `<p role="status" class="notice moved">${escapeHtml(w.moved).replace(
          "{to}",
          `<a href="${escapeHtml(status.movedTo)}">${escapeHtml(status.movedTo)}</a>`,
        )}</p>`
      : "";
    const aliases = state.aliases ?? status.alsoKnownAs.join("\n");
    const body = `<h1>${escapeHtml(w.title)}</h1>
${moved}
<h2>${escapeHtml(w.inTitle)}</h2>
<p>${escapeHtml(w.inIntro)}</p>
${notice(state.saved ? w.aliasesSaved : undefined)}
<form method="post" action="/settings/move/aliases">
${context.csrfField()}
<p><label for="aliases">${escapeHtml(w.aliases)}</label><br>
<textarea id="aliases" name="aliases" rows="${MAX_ALIASES}"${invalidAttrs(errors, "aliases")}>${escapeHtml(aliases)}</textarea></p>
${fieldError(errors, "aliases")}<p><button type="submit">${escapeHtml(w.saveAliases)}</button></p>
</form>
<h2>${escapeHtml(w.outTitle)}</h2>
<p>${escapeHtml(w.outIntro.replace("{me}", me))}</p>
<form method="post" action="/settings/move">
${context.csrfField()}
${inputField({ id: "target", name: "target", label: w.target, autocomplete: "off", value: state.target, error: errors.target })}<p><button type="submit">${escapeHtml(w.move)}</button></p>
</form>`;
    return web.send(noStore(reply), context, { title: w.title, body, status: state.status });
  }

  scope.get("/settings/move", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const saved = (request.query as Record<string, unknown>).saved === "1";
    return page(request, reply, member.username, { saved });
  });

  scope.post("/settings/move/aliases", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const { lang } = await web.context(request, reply);
    const parsed = aliasesForm.safeParse(request.body ?? {});
    const text = parsed.success ? parsed.data.aliases : "";
    const lines = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
    if (!parsed.success || lines.length > MAX_ALIASES) {
      const errors = { aliases: W[lang].tooMany };
      return page(request, reply, member.username, { status: 422, errors, aliases: text });
    }
    try {
      await deps.accountMoves.setAliases(member.username, lines);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const errors = { aliases: error.message };
      return page(request, reply, member.username, { status: 422, errors, aliases: text });
    }
    return reply.redirect("/settings/move?saved=1", 303);
  });

  scope.post("/settings/move", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const w = W[(await web.context(request, reply)).lang];
    const parsed = moveForm.safeParse(request.body ?? {});
    const target =
      typeof (request.body as { target?: unknown } | undefined)?.target === "string"
        ? String((request.body as { target: string }).target).slice(0, 500)
        : "";
    if (!parsed.success) {
      const errors = { target: w.target };
      return page(request, reply, member.username, { status: 422, errors, target });
    }
    try {
      await deps.accountMoves.moveTo(member.username, parsed.data.target);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const me = deps.urls.actor(member.username).href;
      const message = /alias on the new server/.test(error.message)
        ? w.notAliased.replace("{me}", me)
        : error.message;
      return page(request, reply, member.username, {
        status: 422,
        errors: { target: message },
        target,
      });
    }
    return reply.redirect("/settings/move", 303);
  });
}
