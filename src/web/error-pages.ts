import type { FastifyReply, FastifyRequest } from "fastify";
import type { MessageKey } from "./i18n.ts";
import type { WebKit } from "./web-kit.ts";

/**
 * Error answers as pages for browsers (404, 403, 500…), in the visitor's language; API
 * clients and servers keep the JSON shape. Made before the routes (the error handler is set
 * first) and handed the web kit once it exists.
 */
export interface HtmlErrorPages {
  attach(kit: WebKit): void;
  /** True when this request comes from a browser that wants a page. */
  wanted(request: FastifyRequest): boolean;
  send(request: FastifyRequest, reply: FastifyReply, status: number, detail?: string): FastifyReply;
}

const TITLES: Record<number, MessageKey> = {
  403: "forbidden",
  404: "notFound",
  500: "serverError",
  503: "unavailable",
  507: "diskFull",
};
const TEXTS: Record<number, MessageKey> = {
  403: "forbiddenText",
  404: "notFoundText",
  500: "serverErrorText",
  503: "unavailableText",
  507: "diskFullText",
};

// Paths whose answers are for programs even when a browser opens them.
const PROGRAM_PATHS =
  /^\/(api|oauth\/(token|revoke)|nodeinfo|\.well-known|users\/[^/]+\/(inbox|outbox)|inbox|media)(\/|$)/;

export function createHtmlErrorPages(): HtmlErrorPages {
  let kit: WebKit | undefined;
  return {
    attach(webKit) {
      kit = webKit;
    },
    wanted(request) {
      if (!kit || PROGRAM_PATHS.test(request.url)) return false;
      const accept = request.headers.accept ?? "";
      const html = accept.indexOf("text/html");
      if (html < 0) return false;
      // A program that lists JSON (or ActivityPub's types) before HTML wants JSON.
      const json = accept.search(/application\/(json|activity\+json|ld\+json)/);
      return json < 0 || html < json;
    },
    send(request, reply, status, detail) {
      if (!kit) throw new Error("the web kit is not attached");
      const context = kit.visitorContext(request);
      const title: MessageKey = TITLES[status] ?? (status >= 500 ? "serverError" : "badRequest");
      const text = TEXTS[status];
      return kit.sendMessage(reply.header("cache-control", "no-store"), context, {
        status,
        title,
        // A 4xx without a page of its own says what the server found wrong; a refusal that
        // says why (a frozen account's post) says it rather than the general words.
        text: status === 403 && detail ? { raw: detail } : (text ?? { raw: detail ?? "" }),
      });
    },
  };
}
