import Tokens from "@fastify/csrf";
import type { FastifyReply, FastifyRequest } from "fastify";
import { readCookie } from "./session.ts";

export const CSRF_COOKIE = "sdp_csrf";
const CSRF_DAYS = 30;

/**
 * CSRF protection for the pages' forms (@fastify/csrf's tokens): a secret in an HttpOnly
 * cookie, and in every form a token made from it. A form posted from another site carries
 * no valid token, whatever cookies the browser sends along.
 */
export interface CsrfGuard {
  /** A token for a form of this page; sets the secret's cookie when the visitor has none. */
  token(request: FastifyRequest, reply: FastifyReply): string;
  /** True when the request carries a token (`_csrf` field or `x-csrf-token` header) of its secret. */
  verify(request: FastifyRequest): boolean;
}

export function createCsrfGuard(origin: URL): CsrfGuard {
  const tokens = Tokens();
  const secure = origin.protocol === "https:" ? "; Secure" : "";
  const secretOf = (request: FastifyRequest) => {
    const secret = readCookie(request, CSRF_COOKIE);
    return secret && /^[A-Za-z0-9_-]{16,64}$/.test(secret) ? secret : undefined;
  };
  return {
    token(request, reply) {
      let secret = secretOf(request);
      if (!secret) {
        secret = tokens.secretSync();
        reply.header(
          "set-cookie",
          `${CSRF_COOKIE}=${secret}; Path=/; Max-Age=${CSRF_DAYS * 86_400}; HttpOnly; SameSite=Lax${secure}`,
        );
      }
      return tokens.create(secret);
    },
    verify(request) {
      const secret = secretOf(request);
      const body = request.body as { _csrf?: unknown } | undefined;
      const header = request.headers["x-csrf-token"];
      const token = typeof body?._csrf === "string" ? body._csrf : header;
      return Boolean(secret && typeof token === "string" && tokens.verify(secret, token));
    },
  };
}
