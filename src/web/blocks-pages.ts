import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorRow } from "../actors/actors-repository.ts";
import type { ParticipantResolver } from "../encounters/participants.ts";
import type { BlocksService } from "../moderation/blocks-service.ts";
import type { Relations } from "../moderation/relations.ts";
import { isDomainError } from "../shared/errors.ts";
import { escapeHtml, userTextHtml } from "../shared/html.ts";
import { uuidSchema } from "../shared/input.ts";
import { noticeHtml } from "./admin-pages.ts";
import { safeNext } from "./login-page.ts";
import { actorHandle } from "./render-encounter.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * /settings/blocks: the accounts a member blocked or muted and the servers they blocked, each
 * with its undo; forms to block or mute an address and to block a server. The profile's
 * buttons (`relationButtonsHtml`) post to the same route.
 */

export interface BlocksPagesDeps {
  web: WebKit;
  blocks: BlocksService;
  members: Pick<MembersService, "requireByUsername">;
  /** An address (`@user@host`, an actor URL) → the account. */
  participants: Pick<ParticipantResolver, "resolve">;
}

const W = {
  fr: {
    title: "Blocages et masquages",
    intro:
      "Un compte bloqué ne peut plus te suivre ni te nommer dans une rencontre, et rien de lui ne te parvient ; s'il est ailleurs, son serveur en est averti. Un compte masqué n'apparaît plus dans ton fil ni dans tes notifications, sans que personne ne le sache.",
    blocked: "Comptes bloqués",
    muted: "Comptes masqués",
    domains: "Serveurs bloqués",
    none: "Aucun.",
    block: "Bloquer",
    unblock: "Débloquer",
    mute: "Masquer",
    unmute: "Ne plus masquer",
    address: "Adresse du compte (@nom@serveur)",
    domain: "Serveur (par exemple exemple.org)",
    blockDomain: "Bloquer ce serveur",
    done: "C'est fait.",
    report: "Signaler",
  },
  en: {
    title: "Blocks and mutes",
    intro:
      "A blocked account can no longer follow you or name you in an encounter, and nothing of it reaches you; if it is elsewhere, its server is told. A muted account no longer shows in your home or notifications, and nobody is told.",
    blocked: "Blocked accounts",
    muted: "Muted accounts",
    domains: "Blocked servers",
    none: "None.",
    block: "Block",
    unblock: "Unblock",
    mute: "Mute",
    unmute: "Unmute",
    address: "The account's address (@name@server)",
    domain: "Server (for example example.org)",
    blockDomain: "Block this server",
    done: "Done.",
    report: "Report",
  },
} as const;

const ACTIONS = ["block", "unblock", "mute", "unmute"] as const;
const accountBody = z.object({
  action: z.enum(ACTIONS),
  account: uuidSchema.optional(),
  address: z.string().trim().max(300).optional(),
  back: z.string().optional(),
});
const domainBody = z.object({ action: z.enum(["block", "unblock"]), domain: z.string().max(300) });

const actionForm = (
  context: PageContext,
  accountId: string,
  action: (typeof ACTIONS)[number],
  back: string,
) =>
  `<form method="post" action="/settings/blocks/account" class="inline">${context.csrfField()}<input type="hidden" name="account" value="${escapeHtml(accountId)}"><input type="hidden" name="action" value="${action}"><input type="hidden" name="back" value="${escapeHtml(back)}"><button type="submit" class="secondary">${escapeHtml(W[context.lang][action])}</button></form>`;

/** Block or unblock, mute or unmute, and report: the buttons of a profile, for a member looking. */
export async function relationButtonsHtml(
  relations: Pick<Relations, "between">,
  viewerActorId: string,
  target: ActorRow,
  context: PageContext,
): Promise<string> {
  if (viewerActorId === target.id) return "";
  const { blocking, muting } = await relations.between(viewerActorId, target.id);
  const back = context.path;
  return `<div class="actions" role="group">${actionForm(context, target.id, blocking ? "unblock" : "block", back)} ${actionForm(context, target.id, muting ? "unmute" : "mute", back)} <a href="/report?account=${escapeHtml(target.id)}">${escapeHtml(W[context.lang].report)}</a></div>`;
}

export function registerBlocksPages(scope: FastifyInstance, deps: BlocksPagesDeps): void {
  const { web, blocks } = deps;

  async function page(
    reply: FastifyReply,
    context: PageContext,
    username: string,
    notice?: { text: string; error?: boolean; status?: number },
  ) {
    const w = W[context.lang];
    const [blocked, muted, domains] = await Promise.all([
      blocks.blocked(username),
      blocks.muted(username),
      blocks.blockedDomains(username),
    ]);
    const back = "/settings/blocks";
    const list = (rows: string[]) =>
      rows.length ? `<ul>\n${rows.join("\n")}\n</ul>` : `<p>${escapeHtml(w.none)}</p>`;
    const accounts = (actors: ActorRow[], undo: "unblock" | "unmute") =>
      list(
        actors.map(
          (a) =>
            `<li><span dir="ltr">${userTextHtml(actorHandle(a))}</span> ${actionForm(context, a.id, undo, back)}</li>`,
        ),
      );
    const domainItems = domains.map(
      (d) =>
        `<li><span dir="ltr">${escapeHtml(d)}</span> <form method="post" action="/settings/blocks/domain" class="inline">${context.csrfField()}<input type="hidden" name="domain" value="${escapeHtml(d)}"><input type="hidden" name="action" value="unblock"><button type="submit" class="secondary">${escapeHtml(w.unblock)}</button></form></li>`,
    );
    const body = `<h1>${escapeHtml(w.title)}</h1>
${noticeHtml(notice)}<p>${escapeHtml(w.intro)}</p>
<form method="post" action="/settings/blocks/account">${context.csrfField()}
<div class="field"><label for="block-address">${escapeHtml(w.address)}</label><input id="block-address" name="address" type="text" maxlength="300" dir="ltr"></div>
<p><button type="submit" name="action" value="block">${escapeHtml(w.block)}</button> <button type="submit" name="action" value="mute" class="secondary">${escapeHtml(w.mute)}</button></p>
</form>
<form method="post" action="/settings/blocks/domain">${context.csrfField()}<input type="hidden" name="action" value="block">
<div class="field"><label for="block-domain">${escapeHtml(w.domain)}</label><input id="block-domain" name="domain" type="text" maxlength="300" dir="ltr" required></div>
<p><button type="submit">${escapeHtml(w.blockDomain)}</button></p>
</form>
<h2>${escapeHtml(w.blocked)}</h2>
${accounts(blocked, "unblock")}
<h2>${escapeHtml(w.muted)}</h2>
${accounts(muted, "unmute")}
<h2>${escapeHtml(w.domains)}</h2>
${list(domainItems)}`;
    return web.send(reply, context, { title: w.title, body, status: notice?.status });
  }

  scope.get("/settings/blocks", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    return page(reply, await web.context(request, reply), member.username);
  });

  scope.post("/settings/blocks/account", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const parsed = accountBody.safeParse(request.body ?? {});
    try {
      if (!parsed.success || (!parsed.data.account && !parsed.data.address)) {
        return page(reply, context, member.username, {
          text: W[context.lang].address,
          error: true,
          status: 400,
        });
      }
      const { action, account, address, back } = parsed.data;
      const targetId = account ?? (await deps.participants.resolve(address ?? "")).id;
      await blocks[action](member.username, targetId);
      if (back) return reply.redirect(safeNext(back, "/settings/blocks"), 303);
      return page(reply, context, member.username, { text: W[context.lang].done });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      const status = error.code === "not_found" ? 404 : 400;
      return page(reply, context, member.username, { text: error.message, error: true, status });
    }
  });

  scope.post("/settings/blocks/domain", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const parsed = domainBody.safeParse(request.body ?? {});
    try {
      if (!parsed.success) {
        return page(reply, context, member.username, {
          text: W[context.lang].domain,
          error: true,
          status: 400,
        });
      }
      const { action, domain } = parsed.data;
      if (action === "block") await blocks.blockDomain(member.username, domain);
      else await blocks.unblockDomain(member.username, domain);
      return page(reply, context, member.username, { text: W[context.lang].done });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      return page(reply, context, member.username, {
        text: error.message,
        error: true,
        status: 400,
      });
    }
  });
}
