export type Language = "fr" | "en";

const MESSAGES = {
  fr: {
    tagline: "Un serveur du fédiverse pour raconter ses rencontres.",
    about:
      "Socialdapres aide une communauté à garder ses liens faibles vivants : chaque semaine, une seule question — « Durant les 7 derniers jours, as-tu fait des rencontres satisfaisantes ? ». Chaque rencontre notée est publiée dans le fédiverse avec le mot-clé #Socialdapres, et les abonnés des deux personnes peuvent en être témoins.",
    privacy:
      "Le suivi d'exposition de chaque membre reste privé, sur cette instance : il n'est jamais publié.",
    howToFollow: "Suivre un membre depuis Mastodon",
    howToFollowSteps:
      "Dans Mastodon (ou tout autre logiciel du fédiverse), cherchez son adresse, par exemple {handle}, puis abonnez-vous.",
    members: "Membres",
    noMembers: "Aucun membre pour l'instant.",
    followers: "abonné·es",
    following: "abonnements",
    followFrom: "Pour suivre ce membre, cherchez {handle} depuis votre compte Mastodon.",
    notFound: "Page introuvable",
    noSuchMember: "Aucun membre ne porte ce nom ici.",
    backHome: "Retour à l'accueil",
  },
  en: {
    tagline: "A fediverse server for telling your encounters.",
    about:
      "Socialdapres helps a community keep its weak ties alive: once a week, one question — “In the last 7 days, did you have satisfying encounters?”. Each encounter is published on the fediverse with the #Socialdapres hashtag, and the followers of both people can witness it.",
    privacy:
      "Each member's exposure tracker stays private, on this instance: it is never published.",
    howToFollow: "Follow a member from Mastodon",
    howToFollowSteps:
      "In Mastodon (or any fediverse software), search for their address, for example {handle}, then follow.",
    members: "Members",
    noMembers: "No members yet.",
    followers: "followers",
    following: "following",
    followFrom: "To follow this member, search for {handle} from your Mastodon account.",
    notFound: "Page not found",
    noSuchMember: "No member by that name here.",
    backHome: "Back to the home page",
  },
} as const satisfies Record<Language, Record<string, string>>;

export type MessageKey = keyof (typeof MESSAGES)["fr"];

/** French unless the browser prefers English over French. */
export function pickLanguage(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return "fr";
  const ranked = acceptLanguage
    .split(",")
    .map((part) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.find((p) => p.trim().startsWith("q="));
      return { lang: tag.trim().slice(0, 2).toLowerCase(), q: q ? Number(q.split("=")[1]) : 1 };
    })
    .filter((entry) => entry.lang === "fr" || entry.lang === "en")
    .sort((a, b) => b.q - a.q);
  return ranked[0]?.lang === "en" ? "en" : "fr";
}

export function translate(
  lang: Language,
  key: MessageKey,
  values: Record<string, string> = {},
): string {
  return MESSAGES[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? "");
}
