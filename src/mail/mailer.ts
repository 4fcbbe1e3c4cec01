import { isIP } from "node:net";
import type { Transporter } from "nodemailer";
import type { MailSettings } from "../config/config.ts";
import {
  type ApplicationDecidedMail,
  applicationDecidedMessage,
  type EmailVerificationMail,
  emailVerificationMessage,
  type MailContent,
  type MailInstance,
  type ModerationNoticeMail,
  moderationNoticeMessage,
  type PasswordResetMail,
  passwordResetMessage,
} from "./messages.ts";

export type {
  ApplicationDecidedMail,
  EmailVerificationMail,
  ModerationNoticeMail,
  PasswordResetMail,
};

/**
 * The instance's e-mails. Optional: without an SMTP server (`SMTP_URL`) `enabled` is false
 * and nothing is sent; the pages then say what to do instead (ask an admin).
 *
 * Each method hands the mail over and returns at once: it is sent in the background, off the
 * request (a slow mail server never holds a page, and a page that sends a mail takes the
 * same time as one that does not). A mail that fails is logged — its kind and the SMTP
 * server's error code, never its address, link or text — and not retried: every mail is
 * one the member can ask for again (a reset link, an address check).
 */
export interface Mailer {
  readonly enabled: boolean;
  passwordReset(mail: PasswordResetMail): void;
  emailVerification(mail: EmailVerificationMail): void;
  /** Tells an applicant the decision on their application to join. */
  applicationDecided(mail: ApplicationDecidedMail): void;
  /** Tells a member what the moderators did to their account, and why. */
  moderationNotice(mail: ModerationNoticeMail): void;
  /** Resolves once every mail handed over so far was sent or failed (tests, the app's stop). */
  settle(): Promise<void>;
  /** Closes the connection to the mail server. */
  close(): void;
}

/** How a message leaves: SMTP in production. */
export interface MailTransport {
  send(message: { to: string } & MailContent): Promise<void>;
  close(): void;
}

interface MailLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Mails waiting or being sent at once; beyond, a mail is dropped (and logged). */
const MAX_PENDING = 100;

/** The instance's mailer: over SMTP when `settings` (SMTP_URL) are given, else `disabledMailer`. */
export function mailerFor(
  settings: MailSettings | undefined,
  deps: { instance: MailInstance; logger: MailLogger },
): Mailer {
  return settings
    ? createMailer({ ...deps, transport: createSmtpTransport(settings) })
    : disabledMailer;
}

/** A mailer that sends nothing: no SMTP server is configured. */
export const disabledMailer: Mailer = {
  enabled: false,
  passwordReset() {},
  emailVerification() {},
  applicationDecided() {},
  moderationNotice() {},
  settle: () => Promise.resolve(),
  close() {},
};

export function createMailer(deps: {
  transport: MailTransport;
  instance: MailInstance;
  logger: MailLogger;
}): Mailer {
  const { transport, instance, logger } = deps;
  const pending = new Set<Promise<void>>();

  function hand(kind: string, to: string, content: MailContent): void {
    if (pending.size >= MAX_PENDING) {
      logger.warn({ mail: kind }, "too many mails waiting for the mail server: one dropped");
      return;
    }
    const sending = transport.send({ to, ...content }).then(
      () => logger.info({ mail: kind }, "mail sent"),
      (error: unknown) =>
        logger.warn({ mail: kind, smtp: smtpFailure(error) }, "could not send a mail"),
    );
    pending.add(sending);
    void sending.finally(() => pending.delete(sending));
  }

  return {
    enabled: true,
    passwordReset: (mail) => hand("password_reset", mail.to, passwordResetMessage(mail, instance)),
    emailVerification: (mail) =>
      hand("email_verification", mail.to, emailVerificationMessage(mail, instance)),
    applicationDecided: (mail) =>
      hand("application_decided", mail.to, applicationDecidedMessage(mail, instance)),
    moderationNotice: (mail) =>
      hand("moderation_notice", mail.to, moderationNoticeMessage(mail, instance)),
    async settle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    close: () => transport.close(),
  };
}

/**
 * What of a failure is logged: the error's code, the SMTP command and reply code. Never its
 * message or the server's reply, which may quote the recipient's address.
 */
function smtpFailure(error: unknown): Record<string, unknown> {
  const e = (error ?? {}) as { code?: unknown; command?: unknown; responseCode?: unknown };
  return {
    code: typeof e.code === "string" ? e.code : undefined,
    command: typeof e.command === "string" ? e.command.split(" ")[0] : undefined,
    responseCode: typeof e.responseCode === "number" ? e.responseCode : undefined,
  };
}

const isLoopback = (host: string) =>
  host === "localhost" ||
  host === "[::1]" ||
  (isIP(host) === 4 && host.startsWith("127.")) ||
  host === "::1";

/**
 * The SMTP transport of `SMTP_URL`: `smtps://` speaks TLS from the start (port 465 by
 * default); `smtp://` (port 587 by default) must upgrade with STARTTLS, except to a relay on
 * this machine (loopback), which may speak in clear. The user name and password are the
 * URL's, percent-decoded.
 */
export function createSmtpTransport(settings: MailSettings): MailTransport {
  const url = new URL(settings.smtpUrl);
  const secure = url.protocol === "smtps:";
  const host = url.hostname;
  // nodemailer is loaded with the first mail, not at start: mails are rare.
  let transporter: Promise<Transporter> | undefined;
  const options = {
    host: host.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: !secure && !isLoopback(host),
    auth: url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // nodemailer logs nothing unless asked: it stays so (its log would show addresses).
    logger: false,
    debug: false,
  };
  return {
    async send(message) {
      transporter ??= import("nodemailer").then(({ createTransport }) => createTransport(options));
      await (await transporter).sendMail({ from: settings.from, ...message });
    },
    close: () => {
      void transporter?.then((t) => t.close());
    },
  };
}
