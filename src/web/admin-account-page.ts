import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Member } from "../accounts/members-service.ts";
import type { RemoteAccountActions, RemoteActionKind } from "../moderation/account-actions.ts";
import { REASON_LIMIT } from "../moderation/audit-log.ts";
import type { MemberActionKind, MemberActions } from "../moderation/member-actions.ts";
import { DomainError, isDomainError } from "../shared/errors.ts";
import { escapeHtml } from "../shared/html.ts";
import { auditTableHtml } from "./admin-audit-page.ts";
import { webModerator } from "./admin-domains-page.ts";
import { noticeHtml, requireStaff } from "./admin-pages.ts";
import { formatInstant } from "./render-encounter.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * /admin/accounts/:account (admins and moderators): one account — a member (`bea`) or a
 * remote one (`bea@example.org`) — its moderation state, its history in the audit log, and
 * the actions with their reason. Nothing private is shown: no e-mail, nothing of the tracker.
 */

const W = {
  fr: {
    title: "Compte {account}",
    member: "Membre de l'instance, {role}, arrivé·e le {date}.",
    remote: "Compte d'un autre serveur : {iri}",
    suspended: "Suspendu depuis le {date}.",
    reversible:
      "La suspension peut être levée jusqu'au {date} ; ensuite, seule la suppression définitive reste.",
    frozen: "Gelé depuis le {date} : lit, mais ne publie pas.",
    silenced:
      "Masqué depuis le {date} : hors de la page publique, ses abonnements attendent un accord.",
    reason: "Raison : {reason}",
    free: "Aucune restriction.",
    act: "Agir",
    action: "Action",
    why: "Raison (montrée au ou à la membre, et gardée dans le journal)",
    whyRemote: "Raison (gardée dans le journal, pas envoyée à son serveur)",
    confirm: "Je confirme la suppression définitive : elle ne peut pas être annulée.",
    submit: "Appliquer",
    history: "Historique",
    done: "C'est fait.",
    deleted: "Le compte @{name} est supprimé ; les serveurs de ses abonné·es sont prévenus.",
    confirmFirst: "Coche la confirmation pour supprimer définitivement.",
    actions: {
      warn: "Avertir",
      freeze: "Geler (ne peut plus publier)",
      unfreeze: "Lever le gel",
      suspend: "Suspendre (ne peut plus se connecter)",
      unsuspend: "Lever la suspension",
      final: "Suspendre définitivement (supprime le compte)",
      silence: "Masquer",
      unsilence: "Lever le masquage",
    },
  },
  en: {
    title: "Account {account}",
    member: "Member of this instance, {role}, joined on {date}.",
    remote: "Account on another server: {iri}",
    suspended: "Suspended since {date}.",
    reversible:
      "The suspension can be lifted until {date}; after that, only the final deletion remains.",
    frozen: "Frozen since {date}: reads, but does not post.",
    silenced: "Silenced since {date}: off the public page, its follows wait for approval.",
    reason: "Reason: {reason}",
    free: "No restriction.",
    act: "Act",
    action: "Action",
    why: "Reason (shown to the member, and kept in the log)",
    whyRemote: "Reason (kept in the log, not sent to their server)",
    confirm: "I confirm the final deletion: it cannot be undone.",
    submit: "Apply",
    history: "History",
    done: "Done.",
    deleted: "The account @{name} is deleted; its followers' servers are told.",
    confirmFirst: "Tick the confirmation to delete for good.",
    actions: {
      warn: "Warn",
      freeze: "Freeze (can no longer post)",
      unfreeze: "Lift the freeze",
      suspend: "Suspend (can no longer log in)",
      unsuspend: "Lift the suspension",
      final: "Suspend for good (deletes the account)",
      silence: "Silence",
      unsilence: "Lift the silence",
    },
  },
} as const;

type Words = (typeof W)["fr" | "en"];
const LOCAL = ["warn", "freeze", "unfreeze", "suspend", "unsuspend", "final"] as const;
const REMOTE = ["silence", "unsilence", "suspend", "unsuspend"] as const;

const params = z.object({ account: z.string().min(1).max(300) });
const actionBody = z.object({
  action: z.enum([...LOCAL, ...REMOTE], { message: "Choose an action." }),
  reason: z
    .string()
    .max(REASON_LIMIT, `A reason is at most ${REASON_LIMIT} characters.`)
    .optional(),
  confirm: z.string().max(10).optional(),
});

const isRemote = (account: string) => account.includes("@");
const fill = (text: string, values: Record<string, string>) =>
  Object.entries(values).reduce((t, [k, v]) => t.replace(`{${k}}`, v), text);

export function registerAdminAccountPage(
  scope: FastifyInstance,
  deps: {
    web: WebKit;
    memberActions: MemberActions;
    remoteAccounts: RemoteAccountActions;
  },
): void {
  const { web } = deps;

  async function statusHtml(w: Words, lang: "fr" | "en", account: string) {
    const date = (d: Date) => formatInstant(lang, d);
    const reason = (r: string | null) =>
      r ? `<p>${escapeHtml(fill(w.reason, { reason: r }))}</p>` : "";
    if (isRemote(account)) {
      const s = await deps.remoteAccounts.status(account);
      const lines = [
        `<p>${escapeHtml(fill(w.remote, { iri: s.iri }))}</p>`,
        s.suspendedAt
          ? `<p>${escapeHtml(fill(w.suspended, { date: date(s.suspendedAt) }))}</p>`
          : "",
        s.silencedAt ? `<p>${escapeHtml(fill(w.silenced, { date: date(s.silencedAt) }))}</p>` : "",
        !s.suspendedAt && !s.silencedAt ? `<p>${escapeHtml(w.free)}</p>` : "",
      ];
      return { name: s.handle, html: lines.join("\n"), history: s.history, actions: REMOTE };
    }
    const s = await deps.memberActions.status(account);
    const lines = [
      `<p>${escapeHtml(fill(w.member, { role: s.role, date: date(s.createdAt) }))}</p>`,
      s.suspendedAt
        ? `<p>${escapeHtml(fill(w.suspended, { date: date(s.suspendedAt) }))}</p>${reason(s.suspensionReason)}`
        : "",
      s.reversibleUntil
        ? `<p>${escapeHtml(fill(w.reversible, { date: date(s.reversibleUntil) }))}</p>`
        : "",
      s.frozenAt
        ? `<p>${escapeHtml(fill(w.frozen, { date: date(s.frozenAt) }))}</p>${reason(s.frozenReason)}`
        : "",
      !s.suspendedAt && !s.frozenAt ? `<p>${escapeHtml(w.free)}</p>` : "",
    ];
    return { name: s.username, html: lines.join("\n"), history: s.history, actions: LOCAL };
  }

  async function page(
    reply: FastifyReply,
    context: PageContext,
    account: string,
    notice?: { text: string; error?: boolean; status?: number },
  ) {
    const { lang } = context;
    const w = W[lang];
    const s = await statusHtml(w, lang, account);
    const title = fill(w.title, { account: isRemote(account) ? s.name : `@${s.name}` });
    const options = s.actions
      .map((a) => `<option value="${a}">${escapeHtml(w.actions[a])}</option>`)
      .join("");
    const body = `<h1>${escapeHtml(title)}</h1>
${noticeHtml(notice)}${s.html}
<h2>${escapeHtml(w.act)}</h2>
<form method="post" action="/admin/accounts/${escapeHtml(encodeURIComponent(account))}/action">
${context.csrfField()}
<div class="field"><label for="account-action">${escapeHtml(w.action)}</label><select id="account-action" name="action">${options}</select></div>
<div class="field"><label for="account-reason">${escapeHtml(isRemote(account) ? w.whyRemote : w.why)}</label><textarea id="account-reason" name="reason" maxlength="${REASON_LIMIT}"></textarea></div>
${isRemote(account) ? "" : `<p><input type="checkbox" id="account-confirm" name="confirm" value="1"> <label for="account-confirm">${escapeHtml(w.confirm)}</label></p>\n`}<p><button type="submit">${escapeHtml(w.submit)}</button></p>
</form>
<h2>${escapeHtml(w.history)}</h2>
${auditTableHtml(lang, s.history)}`;
    return web.send(reply, context, { title, body, status: notice?.status });
  }

  async function guarded(
    request: FastifyRequest,
    reply: FastifyReply,
    run: (staff: Member, context: PageContext, account: string) => Promise<FastifyReply>,
  ) {
    const staff = await requireStaff(web, request, reply, "staff");
    if (!staff) return reply;
    const context = await web.context(request, reply);
    const parsed = params.safeParse(request.params);
    if (!parsed.success) return reply.callNotFound();
    const account = parsed.data.account.replace(/^@/, "");
    try {
      return await run(staff, context, account);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      const status = error.code === "not_found" ? 404 : error.code === "conflict" ? 409 : 400;
      if (error.code === "not_found" || error.field === "account") {
        return web.sendMessage(reply, context, {
          status,
          title: status === 404 ? "notFound" : "badRequest",
          text: { raw: error.message },
        });
      }
      return page(reply, context, account, { text: error.message, error: true, status });
    }
  }

  scope.get("/admin/accounts/:account", (request, reply) =>
    guarded(request, reply, (_staff, context, account) => page(reply, context, account)),
  );

  scope.post("/admin/accounts/:account/action", { preHandler: web.checkCsrf }, (request, reply) =>
    guarded(request, reply, async (staff, context, account) => {
      const w = W[context.lang];
      const body = actionBody.safeParse(request.body ?? {});
      if (!body.success) {
        throw new DomainError("invalid", body.error.issues[0]?.message ?? "Choose an action.");
      }
      const { action, reason } = body.data;
      const moderator = webModerator(staff);
      if (isRemote(account)) {
        if (!(REMOTE as readonly string[]).includes(action)) {
          throw new DomainError("invalid", `A remote account can be ${REMOTE.join(", ")}.`);
        }
        await deps.remoteAccounts.act(account, action as RemoteActionKind, reason, moderator);
        return page(reply, context, account, { text: w.done });
      }
      if (action === "final") {
        if (body.data.confirm !== "1") {
          return page(reply, context, account, { text: w.confirmFirst, error: true, status: 400 });
        }
        const done = await deps.memberActions.suspendFinal(account, reason, moderator);
        const text = fill(w.deleted, { name: done.username });
        return web.send(reply, context, {
          title: w.done,
          body: `<h1>${escapeHtml(w.done)}</h1>\n${noticeHtml({ text })}<p><a href="/admin/audit">/admin/audit</a></p>`,
        });
      }
      if (!(LOCAL as readonly string[]).includes(action)) {
        throw new DomainError("invalid", `A member can be ${LOCAL.join(", ")}.`);
      }
      await deps.memberActions.act(account, action as MemberActionKind, reason, moderator);
      return page(reply, context, account, { text: w.done });
    }),
  );
}
