import { createHash, randomBytes, randomUUID } from "node:crypto";
import { and, eq, gt, lte } from "drizzle-orm";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Member } from "../accounts/members-service.ts";
import type { Db } from "../db/database.ts";
import { members, webSessions } from "../db/schema.ts";

export const SESSION_COOKIE = "sdp_session";
export const SESSION_DAYS = 30;
const SESSION_MS = SESSION_DAYS * 86_400_000;

const digest = (token: string) => createHash("sha256").update(token).digest("base64url");

export interface WebSessions {
  /** A new session for the member; returns the token to put in the cookie. */
  create(memberId: string): Promise<string>;
  /** The member of a live session, or undefined (unknown, expired or malformed token). */
  memberOf(token: string): Promise<Member | undefined>;
  revoke(token: string): Promise<void>;
}

export function createWebSessions(db: Db, now: () => Date = () => new Date()): WebSessions {
  return {
    async create(memberId) {
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
      });
      return token;
    },
    async memberOf(token) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
      const [row] = await db
        .select({ member: members })
        .from(webSessions)
        .innerJoin(members, eq(members.id, webSessions.memberId))
        .where(and(eq(webSessions.tokenHash, digest(token)), gt(webSessions.expiresAt, now())));
      return row?.member;
    },
    async revoke(token) {
      await db.delete(webSessions).where(eq(webSessions.tokenHash, digest(token)));
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

/** The language a visitor chose with the switch in the header ("fr" or "en"). */
export const LANGUAGE_COOKIE = "sdp_lang";

/** The language cookie: the switch in the header and the member's preferences set it, for a year. */
export function languageCookie(lang: "fr" | "en", origin: URL): string {
  const secure = origin.protocol === "https:" ? "; Secure" : "";
  return `${LANGUAGE_COOKIE}=${lang}; Path=/; Max-Age=${365 * 86_400}; SameSite=Lax${secure}`;
}
