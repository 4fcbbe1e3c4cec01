/**
 * What the instance actor writes to a member's accounts, in the member's
 * language ("fr" by default). Plain text: the delivery layer adds the mention
 * and the link to the form. None of it carries a private tracker value.
 */
export type MessageLanguage = "fr" | "en";

export const languageOf = (language: string | null | undefined): MessageLanguage =>
  language === "en" ? "en" : "fr";

const TEXTS = {
  fr: {
    question:
      "Durant les 7 derniers jours, as-tu fait des rencontres satisfaisantes ? Réponds « oui » (ou « oui 2 ») ou « non ».",
    formLabel: "Ou remplis le formulaire :",
    notUnderstood:
      "Je n’ai pas compris ta réponse. Réponds « oui », « oui 2 » (le nombre de rencontres satisfaisantes) ou « non », ou remplis le formulaire :",
    linkRequest: (handle: string) =>
      `Le compte ${handle} demande à relier ce compte-ci pour y recevoir la question de la semaine. Si c’est bien toi, réponds « oui » à ce message. Sinon, ignore-le : tu ne recevras rien d’autre.`,
    linkFormLabel: "Réglages :",
  },
  en: {
    question:
      "During the last 7 days, did you have satisfying encounters? Reply “yes” (or “yes 2”) or “no”.",
    formLabel: "Or fill in the form:",
    notUnderstood:
      "I did not understand your answer. Reply “yes”, “yes 2” (how many satisfying encounters) or “no”, or fill in the form:",
    linkRequest: (handle: string) =>
      `The account ${handle} asks to link this account, to receive the weekly question here. If that is you, reply “yes” to this message. Otherwise ignore it: you will receive nothing else.`,
    linkFormLabel: "Settings:",
  },
} as const;

export function texts(language: MessageLanguage) {
  return TEXTS[language];
}
