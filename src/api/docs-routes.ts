import type { FastifyInstance } from "fastify";
import { escapeHtml } from "../shared/html.ts";
import { buildOpenApiDocument } from "./openapi.ts";

type Json = Record<string, unknown>;

/** A plain page listing the operations: no script, nothing fetched from elsewhere. */
export function renderDocsPage(document: Json): string {
  const rows = Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(
    ([path, methods]) =>
      Object.entries(methods).map(
        ([method, op]) =>
          `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(String(op.summary))}</td></tr>`,
      ),
  );
  const info = document.info as Json;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(String(info.title))}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td{border-top:1px solid #ddd;padding:.4rem .6rem;vertical-align:top}</style>
</head><body>
<h1>${escapeHtml(String(info.title))} ${escapeHtml(String(info.version))}</h1>
<p>Every operation needs <code>Authorization: Bearer &lt;token&gt;</code>. The full description, with every field, is the OpenAPI 3.1 document: <a href="/api/docs/openapi.json">/api/docs/openapi.json</a>.</p>
<table><tbody>
${rows.join("\n")}
</tbody></table>
</body></html>`;
}

export function registerApiDocs(
  app: FastifyInstance,
  options: { origin: string; version: string },
) {
  // Built once per instance: the routes and schemas do not change while it runs.
  const document = buildOpenApiDocument(options);
  const page = renderDocsPage(document);
  app.get("/api/docs/openapi.json", async () => document);
  app.get("/api/docs", async (_request, reply) =>
    reply.type("text/html; charset=utf-8").send(page),
  );
}
