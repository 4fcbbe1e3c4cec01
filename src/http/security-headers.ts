import { constants } from "node:zlib";
import compress from "@fastify/compress";
import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";

/**
 * Security headers on every answer (@fastify/helmet) and compressed answers
 * (@fastify/compress). The content security policy is strict: scripts and styles only from
 * this origin, no inline code, never framed. Images may come from other servers (remote
 * avatars and photos are shown where they live).
 */
export function registerSecurityHeaders(http: FastifyInstance, origin: URL): void {
  const https = origin.protocol === "https:";
  // On the root instance itself (both plugins skip encapsulation): every route gets them.
  void http.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "https:", "data:", "blob:"],
        mediaSrc: ["'self'", "https:"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        frameAncestors: ["'none'"],
        // No form-action: the OAuth consent and the remote-follow forms end in a redirect to
        // the app or the visitor's own server, which form-action would block in browsers.
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Mastodon's web pages on other servers show our avatars and photos.
    crossOriginResourcePolicy: { policy: "cross-origin" },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: https ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: "same-origin" },
    xFrameOptions: { action: "deny" },
  });
  void http.register(compress, {
    threshold: 1024,
    encodings: ["br", "gzip"],
    // Quality 4 is a fraction of the default's CPU for most of its gain on HTML and JSON.
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
    // Request bodies stay as sent: no peer compresses an inbox POST, and a zip bomb stays out.
    globalDecompression: false,
  });
}
