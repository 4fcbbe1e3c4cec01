/*
 * The e-mails the instance sends, in French (« tu », as everywhere on the instance) and
 * English, as plain text: every mail client shows it, and a link in plain text is one a
 * member can check before opening it. Pure functions: src/mail/mailer.ts sends them.
 */

export type MailLanguage = "fr" | "en";

/** A mail ready to send: its subject and plain-text body. */
export interface MailContent {
  subject: string;
  text: string;
}

/** Who sends: the instance's name and its origin (shown in the signature). */
export interface MailInstance {
  name: string;
  origin: URL;
}

export interface PasswordResetMail {
  to: string;
  lang: MailLanguage;
  username: string;
  resetUrl: string;
}

export interface EmailVerificationMail {
  to: string;
  lang: MailLanguage;
  username: string;
  verifyUrl: string;
}

/** The decision on an application to join the instance. */
export interface ApplicationDecidedMail {
  to: string;
  lang: MailLanguage;
  username: string;
  approved: boolean;
  /** The admins' word on a refusal (or an approval), shown as written. */
  reason?: string;
  /** Where the applicant reads their application's status (and logs in once approved). */
  statusUrl: string;
}

/** Control characters out (a reason typed in a form), line breaks kept. */
/** What the moderators did to a member's account, and why (src/moderation/member-actions.ts). */
export interface ModerationNoticeMail {
  to: string;
  lang: MailLanguage;
  username: string;
  kind: "warn" | "freeze" | "suspend" | "unfreeze" | "unsuspend";
  reason?: string;
  /** Where the member reads it (their notifications page, or the log-in page). */
  url: string;
}

const plain = (text: string) =>
  text
    .replace(/\r\n?/g, "\n")
    .replace(/[\p{Cc}\p{Cf}]/gu, (c) => (c === "\n" ? c : ""))
    .trim();

const signature = (instance: MailInstance) =>
  `— ${plain(instance.name)}\n${instance.origin.origin}`;

export function passwordResetMessage(mail: PasswordResetMail, instance: MailInstance): MailContent {
  const name = plain(instance.name);
  if (mail.lang === "en") {
    return {
      subject: `Reset your password on ${name}`,
      text: `Hello ${mail.username},

Someone (you, most likely) asked to reset your password on ${name}. To choose a new one, open this link within the hour:

${mail.resetUrl}

The link works once. If you did not ask for anything, ignore this mail: your password stays as it is.

${signature(instance)}
`,
    };
  }
  return {
    subject: `Réinitialise ton mot de passe sur ${name}`,
    text: `Bonjour ${mail.username},

Quelqu'un (toi, sans doute) a demandé à réinitialiser ton mot de passe sur ${name}. Pour en choisir un nouveau, ouvre ce lien dans l'heure :

${mail.resetUrl}

Le lien ne sert qu'une fois. Si tu n'as rien demandé, ignore ce message : ton mot de passe reste le même.

${signature(instance)}
`,
  };
}

export function emailVerificationMessage(
  mail: EmailVerificationMail,
  instance: MailInstance,
): MailContent {
  const name = plain(instance.name);
  if (mail.lang === "en") {
    return {
      subject: `Confirm your e-mail address on ${name}`,
      text: `Hello ${mail.username},

You gave this address to your account on ${name}. To confirm it is yours, open this link within 24 hours:

${mail.verifyUrl}

Once confirmed, it can receive a link to reset your password if you forget it. If you did not give this address, ignore this mail: it will not be used.

${signature(instance)}
`,
    };
  }
  return {
    subject: `Confirme ton adresse e-mail sur ${name}`,
    text: `Bonjour ${mail.username},

Tu as donné cette adresse à ton compte sur ${name}. Pour confirmer qu'elle est bien à toi, ouvre ce lien dans les 24 heures :

${mail.verifyUrl}

Une fois confirmée, elle pourra recevoir un lien pour réinitialiser ton mot de passe si tu l'oublies. Si tu n'as pas donné cette adresse, ignore ce message : elle ne servira pas.

${signature(instance)}
`,
  };
}

export function applicationDecidedMessage(
  mail: ApplicationDecidedMail,
  instance: MailInstance,
): MailContent {
  const name = plain(instance.name);
  const reason = mail.reason ? plain(mail.reason) : "";
  if (mail.lang === "en") {
    const word = reason ? `\nThe admins' word:\n\n${reason}\n` : "";
    return mail.approved
      ? {
          subject: `Welcome to ${name}: your application is approved`,
          text: `Hello ${mail.username},

Good news: your application to join ${name} is approved. You can log in now:

${mail.statusUrl}
${word}
${signature(instance)}
`,
        }
      : {
          subject: `Your application to ${name} was not approved`,
          text: `Hello ${mail.username},

Your application to join ${name} was not approved.
${word}
Your application's page:

${mail.statusUrl}

${signature(instance)}
`,
        };
  }
  const word = reason ? `\nLe mot des admins :\n\n${reason}\n` : "";
  return mail.approved
    ? {
        subject: `Bienvenue sur ${name} : ta demande est acceptée`,
        text: `Bonjour ${mail.username},

Bonne nouvelle : ta demande pour rejoindre ${name} est acceptée. Tu peux te connecter dès maintenant :

${mail.statusUrl}
${word}
${signature(instance)}
`,
      }
    : {
        subject: `Ta demande pour rejoindre ${name} n'a pas été acceptée`,
        text: `Bonjour ${mail.username},

Ta demande pour rejoindre ${name} n'a pas été acceptée.
${word}
La page de ta demande :

${mail.statusUrl}

${signature(instance)}
`,
      };
}

const NOTICE = {
  fr: {
    warn: [
      "Un avertissement de la modération",
      "La modération de {name} t'adresse un avertissement.",
    ],
    freeze: [
      "Ton compte ne peut plus publier",
      "La modération de {name} a gelé ton compte : tu peux lire, mais plus publier.",
    ],
    suspend: [
      "Ton compte est suspendu",
      "La modération de {name} a suspendu ton compte : tu ne peux plus te connecter.",
    ],
    unfreeze: [
      "Ton compte peut publier à nouveau",
      "La modération de {name} a levé le gel de ton compte.",
    ],
    unsuspend: [
      "Ton compte est rétabli",
      "La modération de {name} a levé la suspension de ton compte.",
    ],
    reason: "La raison :",
    more: "Pour en savoir plus :",
    hello: "Bonjour",
  },
  en: {
    warn: ["A warning from the moderators", "The moderators of {name} send you a warning."],
    freeze: [
      "Your account can no longer post",
      "The moderators of {name} froze your account: you can read, but not post.",
    ],
    suspend: [
      "Your account is suspended",
      "The moderators of {name} suspended your account: you can no longer log in.",
    ],
    unfreeze: [
      "Your account can post again",
      "The moderators of {name} lifted the freeze on your account.",
    ],
    unsuspend: [
      "Your account is restored",
      "The moderators of {name} lifted your account's suspension.",
    ],
    reason: "The reason:",
    more: "To read more:",
    hello: "Hello",
  },
} as const;

export function moderationNoticeMessage(
  mail: ModerationNoticeMail,
  instance: MailInstance,
): MailContent {
  const w = NOTICE[mail.lang];
  const name = plain(instance.name);
  const [subject, sentence] = w[mail.kind];
  const reason = mail.reason ? `\n${w.reason}\n\n${plain(mail.reason)}\n` : "";
  return {
    subject: mail.lang === "en" ? `${name}: ${subject}` : `${name} : ${subject}`,
    text: `${w.hello} ${mail.username},

${sentence.replace("{name}", name)}
${reason}
${w.more}

${mail.url}

${signature(instance)}
`,
  };
}
