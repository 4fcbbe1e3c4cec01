import type { ActorRow } from "../../actors/actors-repository.ts";
import type { EncounterView } from "../../encounters/encounters-repository.ts";
import type { ReplyView } from "../../encounters/replies-repository.ts";
import { mastodonDate } from "./dates.ts";
import type { Presenter } from "./presenter.ts";

/** What a Mastodon notification is made from. */
export type NotificationSource =
  | { kind: "named"; id: string; at: Date; encounter: EncounterView }
  | { kind: "reply"; id: string; at: Date; reply: ReplyView }
  | { kind: "cosigned"; id: string; at: Date; encounter: EncounterView; cosigner: ActorRow }
  | { kind: "weekly"; id: string; at: Date };

/** Mastodon's Notification entity (https://docs.joinmastodon.org/entities/Notification/). */
export async function notificationEntity(source: NotificationSource, presenter: Presenter) {
  const base = {
    id: source.id,
    created_at: mastodonDate(source.at),
    group_key: `ungrouped-${source.id}`,
  };
  switch (source.kind) {
    case "named":
      return {
        ...base,
        type: "mention" as const,
        account: await presenter.account(source.encounter.author),
        status: await presenter.status(source.encounter),
      };
    case "reply":
      return {
        ...base,
        type: "mention" as const,
        account: await presenter.account(source.reply.author),
        status: await presenter.reply(source.reply),
      };
    case "weekly": {
      const status = await presenter.weeklyQuestion(source.id, source.at);
      return { ...base, type: "mention" as const, account: status.account, status };
    }
    case "cosigned":
      return {
        ...base,
        type: "reblog" as const,
        account: await presenter.account(source.cosigner),
        status: await presenter.status(source.encounter),
      };
  }
}
