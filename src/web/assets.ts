import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";

/** The pages' stylesheet and script, read once at start and served under a content hash. */
export interface WebAssets {
  styleHref: string;
  scriptHref: string;
  register(http: FastifyInstance): void;
}

const YEAR_SECONDS = 365 * 86_400;

export function loadWebAssets(): WebAssets {
  const files = [
    { name: "style", ext: "css", type: "text/css; charset=utf-8" },
    { name: "app", ext: "js", type: "text/javascript; charset=utf-8" },
  ].map((file) => {
    const body = readFileSync(new URL(`./assets/${file.name}.${file.ext}`, import.meta.url));
    const hash = createHash("sha256").update(body).digest("base64url").slice(0, 12);
    return { ...file, body, href: `/assets/${file.name}-${hash}.${file.ext}` };
  });
  const [style, script] = files as [(typeof files)[0], (typeof files)[0]];
  return {
    styleHref: style.href,
    scriptHref: script.href,
    register(http) {
      for (const file of files) {
        // The name changes with the content: a browser may keep a copy for a year.
        http.get(file.href, (_request, reply) =>
          reply
            .type(file.type)
            .header("cache-control", `public, max-age=${YEAR_SECONDS}, immutable`)
            .send(file.body),
        );
      }
    },
  };
}
