import { createHash, randomBytes, randomUUID } from "node:crypto";
import { and, desc, eq, gt, lte, ne, sql } from "drizzle-orm";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Member } from "../accounts/members-service.ts";
import type { Db } from "../db/database.ts";
import { members, webSessions } from "../db/schema.ts";

export const SESSION_COOKIE = "sdp_session";
export const SESSION_DAYS = 30;
const SESSION_MS = SESSION_DAYS * 86_400_000;

const digest = (token: string) => createHash("sha256").update(token).digest("base64url");

/** What of a browser's User-Agent is kept: enough to tell "Firefox on Linux" from a phone. */
export const USER_AGENT_MAX = 256;
/** The last-seen time is written when it is older than this, not on every request. */
export const LAST_SEEN_STEP_MS = 5 * 60_000;

/** One live session, as the member's list of sessions shows it. */
export interface WebSessionInfo {
  id: string;
  createdAt: Date;
  lastSeenAt: Date | null;
  userAgent: string | null;
}

export interface WebSessions {
  /**
   * A new session for the member, from a browser (its User-Agent, cut short; never its
   * address); returns the token to put in the cookie.
   */
  create(memberId: string, userAgent?: string): Promise<string>;
  /** The member of a live session, or undefined (unknown, expired or malformed token). */
  memberOf(token: string): Promise<Member | undefined>;
  /** The live session of a token (its id) and its member; marks it seen every few minutes. */
  current(token: string): Promise<{ id: string; member: Member } | undefined>;
  revoke(token: string): Promise<void>;
  /** The member's live sessions, the most recently used first. */
  list(memberId: string): Promise<WebSessionInfo[]>;
  /** Ends one of the member's sessions; false when they have none with this id. */
  revokeById(memberId: string, id: string): Promise<boolean>;
  /** Ends every session of the member but `exceptId`; returns how many ended. */
  revokeAllOf(memberId: string, exceptId?: string): Promise<number>;
}

/** A User-Agent as stored: printable characters only, cut to USER_AGENT_MAX. */
export function storedUserAgent(userAgent: string | undefined): string | null {
  const clean = (userAgent ?? "").replace(/[\p{Cc}\p{Cf}]/gu, "").trim();
  return clean ? clean.slice(0, USER_AGENT_MAX) : null;
}

export function createWebSessions(db: Db, now: () => Date = () => new Date()): WebSessions {
  async function current(token: string) {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const at = now();
    const [row] = await db
      .select({ member: members, id: webSessions.id, lastSeenAt: webSessions.lastSeenAt })
      .from(webSessions)
      .innerJoin(members, eq(members.id, webSessions.memberId))
      .where(and(eq(webSessions.tokenHash, digest(token)), gt(webSessions.expiresAt, at)));
    // A member suspended by the moderators (from another process too) is logged out.
    if (!row || row.member.suspendedAt) return undefined;
    if (!row.lastSeenAt || at.getTime() - row.lastSeenAt.getTime() >= LAST_SEEN_STEP_MS) {
      await db.update(webSessions).set({ lastSeenAt: at }).where(eq(webSessions.id, row.id));
    }
    return { id: row.id, member: row.member };
  }

  return {
    async create(memberId, userAgent) {
      const token = randomBytes(32).toString("base64url");
      const at = now();
      // Expired sessions of this member go when a new one starts: the table stays small.
      await db
        .delete(webSessions)
        .where(and(eq(webSessions.memberId, memberId), lte(webSessions.expiresAt, at)));
      await db.insert(webSessions).values({
        id: randomUUID(),
        memberId,
        tokenHash: digest(token),
        createdAt: at,
        expiresAt: new Date(at.getTime() + SESSION_MS),
        userAgent: storedUserAgent(userAgent),
        lastSeenAt: at,
      });
      return token;
    },
    async memberOf(token) {
      return (await current(token))?.member;
    },
    current,
    async revoke(token) {
      await db.delete(webSessions).where(eq(webSessions.tokenHash, digest(token)));
    },
    list: (memberId) =>
      db
        .select({
          id: webSessions.id,
          createdAt: webSessions.createdAt,
          lastSeenAt: webSessions.lastSeenAt,
          userAgent: webSessions.userAgent,
        })
        .from(webSessions)
        .where(and(eq(webSessions.memberId, memberId), gt(webSessions.expiresAt, now())))
        .orderBy(desc(sql`coalesce(${webSessions.lastSeenAt}, ${webSessions.createdAt})`)),
    async revokeById(memberId, id) {
      const gone = await db
        .delete(webSessions)
        .where(and(eq(webSessions.memberId, memberId), eq(webSessions.id, id)))
        .returning({ id: webSessions.id });
      return gone.length > 0;
    },
    async revokeAllOf(memberId, exceptId) {
      const gone = await db
        .delete(webSessions)
        .where(
          and(
            eq(webSessions.memberId, memberId),
            exceptId === undefined ? undefined : ne(webSessions.id, exceptId),
          ),
        )
        .returning({ id: webSessions.id });
      return gone.length;
    },
  };
}

/** One cookie's value from the Cookie header (no cookie plugin needed for one name). */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries it), Secure on https. */
export function sessionCookie(token: string, origin: URL): string {
  const secure = origin.protocol === "https:" ? "; Secure" : "";
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${SESSION_MS / 1000}; HttpOnly; SameSite=Lax${secure}`;
}

export function clearedSessionCookie(origin: URL): string {
  const secure = origin.protocol === "https:" ? "; Secure" : "";
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure}`;
}

/** The logged-in member of a request, or undefined. */
export async function sessionMember(
  sessions: WebSessions,
  request: FastifyRequest,
): Promise<Member | undefined> {
  const token = readCookie(request, SESSION_COOKIE);
  return token ? sessions.memberOf(token) : undefined;
}

/**
 * A state-changing form must come from our own pages: the Origin header (or, from
 * browsers that omit it, the Referer) must be this instance's origin.
 */
export function isSameOrigin(request: FastifyRequest, origin: URL): boolean {
  const source = request.headers.origin ?? request.headers.referer;
  if (typeof source !== "string") return false;
  try {
    return new URL(source).origin === origin.origin;
  } catch {
    return false;
  }
}

/** Pages with private data: never stored by a browser or a proxy. */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header("cache-control", "private, no-store");
}

/** A page reached by a link that carries a secret: never cached, never sent on as a Referer. */
export function secretLinkPage(reply: FastifyReply): FastifyReply {
  return noStore(reply).header("referrer-policy", "no-referrer");
}

/** The language a visitor chose with the switch in the header ("fr" or "en"). */
export const LANGUAGE_COOKIE = "sdp_lang";

/** The language cookie: the switch in the header and the member's preferences set it, for a year. */
export function languageCookie(lang: "fr" | "en", origin: URL): string {
  const secure = origin.protocol === "https:" ? "; Secure" : "";
  return `${LANGUAGE_COOKIE}=${lang}; Path=/; Max-Age=${365 * 86_400}; SameSite=Lax${secure}`;
}
