import { escapeHtml } from "../shared/html.ts";

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
      "Dans Mastodon (ou tout autre logiciel du fédiverse), cherche son adresse, par exemple {handle}, puis abonne-toi.",
    members: "Membres",
    noMembers: "Aucun membre pour l'instant.",
    followers: "abonné·es",
    following: "abonnements",
    avatarAlt: "Avatar de {name}",
    headerAlt: "Bannière du profil de {name}",
    profileFields: "Informations du profil",
    notFound: "Page introuvable",
    noSuchMember: "Aucun membre ne porte ce nom ici.",
    accountDeleted: "Compte supprimé",
    accountDeletedText:
      "Ce·tte membre a supprimé son compte : ses rencontres et son profil ne sont plus ici, et son nom reste réservé.",
    accountSuspended: "Compte suspendu",
    accountSuspendedText:
      "La modération de cette instance a suspendu ce compte : son profil et ses rencontres ne sont pas visibles.",
    backHome: "Retour à l'accueil",
    encounters: "Rencontres",
    encounterBy: "Rencontre racontée par {name}",
    noEncounters: "Aucune rencontre publique pour l'instant.",
    older: "Plus anciennes",
    metOn: "Rencontre du {date}",
    publishedOn: "publiée le {date}",
    with: "Avec\u00a0:",
    cosignedBy: "Co-signé par",
    likes: "j'aime",
    boosts: "partages",
    replies: "Réponses",
    report: "Signaler",
    answering: "en réponse à {name}",
    fullImage: "Voir la photo en grand",
    originalPhoto: "Voir la photo sur son serveur d'origine",
    sensitiveContent: "Contenu sensible",
    detailEmotion: "Émotion ressentie",
    detailLearned: "Ce que j'ai appris",
    detailLookingFor: "Ce que la personne cherche",
    detailCanOffer: "Ce que la personne peut offrir",
    detailHowTheyAre: "Comment va la personne",
    fromMastodon: "Depuis Mastodon",
    fromMastodonSteps:
      "Pour suivre, partager ou aimer cette rencontre depuis Mastodon (ou tout autre logiciel du fédiverse), colle cette adresse dans la recherche :",
    remoteOrigin: "Voir sur son serveur d'origine",
    encounterNotFound: "Aucune rencontre publique à cette adresse.",
    gone: "Rencontre supprimée",
    goneText: "Son auteur ou autrice a supprimé cette rencontre.",
    tagTitle: "Rencontres #{tag}",
    socialdapresIntro:
      "Toutes les rencontres publiques #Socialdapres que cette instance connaît, d'ici et d'ailleurs dans le fédiverse, des plus récentes aux plus anciennes.",
    tagIntro:
      "Les rencontres publiques avec le mot-clé #{tag}, des plus récentes aux plus anciennes.",
    badRequest: "Requête invalide",
    badBefore:
      "Le paramètre « before » doit être une date ISO 8601, par exemple 2026-03-01T12:00:00.000Z.",
    badKeyword: "Un mot-clé fait 1 à 50 lettres, chiffres ou « _ », sans espace.",
    navLabel: "Navigation principale",
    navHome: "Accueil",
    navCompose: "Écrire",
    navNotifications: "Notifications",
    navUnread: "non lues",
    navWeek: "Ma semaine",
    navSettings: "Réglages",
    navLogout: "Se déconnecter",
    navLogin: "Se connecter",
    navJoin: "Rejoindre",
    navAdmin: "Administration",
    aboutLink: "L'instance et sa charte",
    pioneer: "Pionnier·e",
    pioneerRank: "n° {rank} sur {of}",
    movedTo: "{name} a déménagé vers",
    formExpired: "Formulaire expiré",
    formExpiredText:
      "Ce formulaire n'a pas été envoyé depuis une page de cette instance, ou il a expiré : recharge la page et envoie-le à nouveau.",
    forbidden: "Accès refusé",
    forbiddenText: "Tu n'as pas accès à cette page.",
    notFoundText: "Il n'y a rien à cette adresse. Vérifie le lien, ou repars de l'accueil.",
    serverError: "Erreur du serveur",
    serverErrorText:
      "Quelque chose s'est mal passé de notre côté. Ce que tu as déjà enregistré est intact : réessaie dans un instant.",
    unavailable: "Service momentanément indisponible",
    unavailableText:
      "Le serveur ne peut pas répondre pour l'instant : réessaie dans quelques secondes.",
    diskFull: "Disque plein",
    diskFullText:
      "Le disque du serveur est plein : rien de ce que tu viens d'envoyer n'a été enregistré, et ce qui l'était reste intact. Réessaie plus tard ; l'équipe qui gère l'instance doit libérer de la place.",
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
    avatarAlt: "{name}'s avatar",
    headerAlt: "{name}'s profile header",
    profileFields: "Profile details",
    notFound: "Page not found",
    noSuchMember: "No member by that name here.",
    accountDeleted: "Account deleted",
    accountDeletedText:
      "This member deleted their account: their encounters and profile are no longer here, and their name stays reserved.",
    accountSuspended: "Account suspended",
    accountSuspendedText:
      "This instance's moderators suspended this account: its profile and encounters are not shown.",
    backHome: "Back to the home page",
    encounters: "Encounters",
    encounterBy: "An encounter told by {name}",
    noEncounters: "No public encounters yet.",
    older: "Older",
    metOn: "Met on {date}",
    publishedOn: "published {date}",
    with: "With:",
    cosignedBy: "Co-signed by",
    likes: "likes",
    boosts: "boosts",
    replies: "Replies",
    report: "Report",
    answering: "in reply to {name}",
    fullImage: "See the full-size photo",
    originalPhoto: "See the photo on its home server",
    sensitiveContent: "Sensitive content",
    detailEmotion: "Emotion felt",
    detailLearned: "What I learned",
    detailLookingFor: "What they are looking for",
    detailCanOffer: "What they can offer",
    detailHowTheyAre: "How they are doing",
    fromMastodon: "From Mastodon",
    fromMastodonSteps:
      "To follow, boost or like this encounter from Mastodon (or any fediverse software), paste this address into its search:",
    remoteOrigin: "See it on its home server",
    encounterNotFound: "No public encounter at this address.",
    gone: "Encounter deleted",
    goneText: "Its author deleted this encounter.",
    tagTitle: "Encounters #{tag}",
    socialdapresIntro:
      "Every public #Socialdapres encounter this instance knows, from here and elsewhere on the fediverse, newest first.",
    tagIntro: "Public encounters with the keyword #{tag}, newest first.",
    badRequest: "Bad request",
    badBefore:
      "The “before” parameter must be an ISO 8601 date, for example 2026-03-01T12:00:00.000Z.",
    badKeyword: "A keyword is 1 to 50 letters, digits or “_”, without spaces.",
    navLabel: "Main navigation",
    navHome: "Home",
    navCompose: "Write",
    navNotifications: "Notifications",
    navUnread: "unread",
    navWeek: "My week",
    navSettings: "Settings",
    navLogout: "Log out",
    navLogin: "Log in",
    navJoin: "Join",
    navAdmin: "Administration",
    aboutLink: "About this instance and its charter",
    pioneer: "Pioneer",
    pioneerRank: "No. {rank} of {of}",
    movedTo: "{name} has moved to",
    formExpired: "Form expired",
    formExpiredText:
      "This form was not sent from a page of this instance, or it has expired: reload the page and send it again.",
    forbidden: "Forbidden",
    forbiddenText: "You do not have access to this page.",
    notFoundText:
      "There is nothing at this address. Check the link, or start again from the home page.",
    serverError: "Server error",
    serverErrorText:
      "Something went wrong on our side. What you already saved is intact: try again in a moment.",
    unavailable: "Temporarily unavailable",
    unavailableText: "The server cannot answer right now: try again in a few seconds.",
    diskFull: "Disk full",
    diskFullText:
      "The server's disk is full: nothing you just sent was stored, and what was stored is intact. Try again later; the people running the instance must free some space.",
  },
} as const satisfies Record<Language, Record<string, string>>;

export type MessageKey = keyof (typeof MESSAGES)["fr"];

/** French or English as the browser ranks them; undefined when it names neither. */
export function browserLanguage(acceptLanguage: string | undefined): Language | undefined {
  if (!acceptLanguage) return undefined;
  const ranked = acceptLanguage
    .split(",")
    .map((part) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.find((p) => p.trim().startsWith("q="));
      return { lang: tag.trim().slice(0, 2).toLowerCase(), q: q ? Number(q.split("=")[1]) : 1 };
    })
    .filter((entry) => entry.lang === "fr" || entry.lang === "en")
    .sort((a, b) => b.q - a.q);
  return ranked[0]?.lang as Language | undefined;
}

/** French unless the browser prefers English over French. */
export function pickLanguage(acceptLanguage: string | undefined): Language {
  return browserLanguage(acceptLanguage) ?? "fr";
}

/** The BCP 47 locale used to format dates in each language. */
export const LOCALES: Record<Language, string> = { fr: "fr-FR", en: "en-GB" };

export function translate(
  lang: Language,
  key: MessageKey,
  values: Record<string, string> = {},
): string {
  return MESSAGES[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? "");
}

/** A translated sentence with one placeholder filled with HTML; the rest is escaped. */
export function translateWithHtml(
  lang: Language,
  key: MessageKey,
  name: string,
  html: string,
): string {
  const marker = "\u0000";
  return translate(lang, key, { [name]: marker })
    .split(marker)
    .map(escapeHtml)
    .join(html);
}
