import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** A mail as the loopback server received it. */
export interface CapturedMail {
  /** The envelope's recipients (RCPT TO). */
  to: string[];
  from: string;
  subject: string;
  text: string;
  /** The raw message, headers included. */
  raw: string;
}

export interface LoopbackSmtp {
  /** `smtp://…@127.0.0.1:<port>`, for `AppConfig.mail.smtpUrl`. */
  url: string;
  mails: CapturedMail[];
  close(): Promise<void>;
}

/**
 * An SMTP server on loopback that keeps every mail it receives (plain SMTP, no STARTTLS:
 * the mailer speaks in clear to a relay on loopback). With `auth`, it demands that user
 * name and password (AUTH PLAIN/LOGIN). `refuse` answers 550 to those recipients.
 */
export async function startLoopbackSmtp(
  options: { auth?: { user: string; pass: string }; refuse?: string[] } = {},
): Promise<LoopbackSmtp> {
  const mails: CapturedMail[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: options.auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    authOptional: !options.auth,
    // AUTH in clear is fine on loopback, for a test.
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      const ok = auth.username === options.auth?.user && auth.password === options.auth?.pass;
      callback(ok ? null : new Error("Invalid username or password"), ok ? { user: 1 } : undefined);
    },
    onRcptTo(address, _session, callback) {
      if (options.refuse?.includes(address.address)) {
        const error = new Error(`Mailbox <${address.address}> unavailable`) as Error & {
          responseCode: number;
        };
        error.responseCode = 550;
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            // Kept before the server answers: once the sender's send resolves, it is here.
            mails.push({
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              from: parsed.from?.text ?? "",
              subject: parsed.subject ?? "",
              text: parsed.text ?? "",
              raw: raw.toString("utf8"),
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`
    : "";
  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The link to this instance's `path` prefix in a mail's text. */
export function linkIn(mail: CapturedMail | undefined, path: string): string {
  const match = new RegExp(`https?://[^\\s]+${path}[^\\s]+`).exec(mail?.text ?? "");
  if (!match) throw new Error(`no ${path} link in the mail: ${mail?.text}`);
  return match[0];
}
