import { STATUS_LABELS, type Status } from "./model/status.ts";

/**
 * What the instance actor writes to a member's accounts, in the member's language
 * ("fr" by default). Plain text: the delivery layer adds the mention of the addressee,
 * turns the member's handle into a mention link and adds the link to the form. The
 * register is the product's: « tu », as every page of the site, as in the question
 * itself keeps its canonical wording (« as-tu fait »), as on the check-in form. None
 * of it carries a private tracker value, except the acknowledgement of an answer,
 * which repeats the member's own answer, and this week's status only when the member
 * allowed it (tracker setting `acknowledgeWithStatus`, off by default).
 */
export type MessageLanguage = "fr" | "en";

export const languageOf = (language: string | null | undefined): MessageLanguage =>
  language === "en" ? "en" : "fr";

const TEXTS = {
  fr: {
    question:
      "Durant les 7 derniers jours, as-tu fait des rencontres satisfaisantes ? Réponds « oui » (ou « oui 2 », le nombre de rencontres) ou « non » à ce message, en mention privée.",
    formLabel: "Ou réponds sur le formulaire, après connexion :",
    notUnderstood:
      "Je n’ai pas compris ta réponse. Réponds « oui », « oui 2 » (le nombre de rencontres satisfaisantes) ou « non », ou utilise le formulaire :",
    linkRequest: (handle: string) =>
      `Le compte ${handle} demande à relier ce compte-ci pour y recevoir la question de la semaine. Si c’est bien toi, réponds « oui » à ce message, en mention privée. Sinon, ignore-le : tu ne recevras rien d’autre.`,
    linkFormLabel: "Réglages, après connexion :",
    linked: (sender: string) =>
      `C’est relié : la question de la semaine arrivera ici, dans cette conversation. Pour qu’elle apparaisse toujours dans tes notifications, abonne-toi à ${sender}.`,
    recorded: (answer: { answer: "yes" | "no"; count?: number | null }) =>
      answer.answer === "no"
        ? "Noté : pas de rencontre satisfaisante cette semaine."
        : answer.count
          ? `Noté : ${answer.count} rencontre${answer.count > 1 ? "s" : ""} satisfaisante${answer.count > 1 ? "s" : ""} cette semaine.`
          : "Noté : des rencontres satisfaisantes cette semaine.",
    status: (status: Status) => `Ton suivi cette semaine : ${STATUS_LABELS[status].fr}.`,
    changeLabel: "Pour corriger ou voir ton suivi :",
    notPrivate:
      "Ta réponse était visible par d’autres personnes que moi : je ne l’ai pas enregistrée, pour ne pas publier ton suivi. Réponds en mention privée (visibilité « mentionnés seulement »), ou utilise le formulaire :",
  },
  en: {
    question:
      "During the last 7 days, did you have satisfying encounters? Reply “yes” (or “yes 2”, how many) or “no” to this message, as a private mention.",
    formLabel: "Or answer on the form, after logging in:",
    notUnderstood:
      "I did not understand your answer. Reply “yes”, “yes 2” (how many satisfying encounters) or “no”, or use the form:",
    linkRequest: (handle: string) =>
      `The account ${handle} asks to link this account, to receive the weekly question here. If that is you, reply “yes” to this message, as a private mention. Otherwise ignore it: you will receive nothing else.`,
    linkFormLabel: "Settings, after logging in:",
    linked: (sender: string) =>
      `Linked: the weekly question will arrive here, in this conversation. To always see it in your notifications, follow ${sender}.`,
    recorded: (answer: { answer: "yes" | "no"; count?: number | null }) =>
      answer.answer === "no"
        ? "Noted: no satisfying encounter this week."
        : answer.count
          ? `Noted: ${answer.count} satisfying encounter${answer.count > 1 ? "s" : ""} this week.`
          : "Noted: satisfying encounters this week.",
    status: (status: Status) => `Your tracker this week: ${STATUS_LABELS[status].en}.`,
    changeLabel: "To correct it or see your tracker:",
    notPrivate:
      "Your answer could be seen by others than me: I did not record it, so as not to publish your tracker. Reply as a private mention (visibility “mentioned people only”), or use the form:",
  },
} as const;

export function texts(language: MessageLanguage) {
  return TEXTS[language];
}
