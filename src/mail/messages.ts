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
