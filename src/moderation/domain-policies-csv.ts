import type { DomainSeverity } from "../db/schema.ts";
import { isDomainError } from "../shared/errors.ts";
import type { Moderator } from "./audit-log.ts";
import type { DomainPoliciesService, DomainPolicy, DomainPolicyInput } from "./domain-policies.ts";
import { mastodonSeverity } from "./domain-policies.ts";

/** Mastodon's header for domain block lists (Administration → Federation → export). */
export const CSV_HEADER =
  "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";
export const CSV_MAX_BYTES = 1024 * 1024;
export const CSV_MAX_LINES = 10_000;

/** One line of an import, and why it was refused. */
export interface CsvLineError {
  line: number;
  error: string;
}

export interface CsvParse {
  policies: Array<{ line: number; input: DomainPolicyInput }>;
  errors: CsvLineError[];
}

/** The list in Mastodon's format: a block is `suspend`, a limit `silence`. */
export function formatDomainPoliciesCsv(policies: readonly DomainPolicy[]): string {
  const lines = policies.map((p) =>
    [p.host, mastodonSeverity(p.severity), "false", "false", p.publicReason ?? "", "false"]
      .map(csvField)
      .join(","),
  );
  return `${[CSV_HEADER, ...lines].join("\n")}\n`;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value)
    ? `"${value.replaceAll('"', '""')}"`
    : value;
}

/** Splits CSV text into records (quoted fields may hold commas, quotes and line breaks). */
function records(text: string): Array<{ line: number; fields: string[] }> {
  const out: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  const end = () => {
    fields.push(field);
    if (fields.some((f) => f.trim() !== "")) out.push({ line: start, fields });
    fields = [];
    field = "";
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      end();
      line++;
      start = line;
    } else field += c;
  }
  end();
  return out;
}

const SEVERITIES: Record<string, DomainSeverity> = {
  suspend: "block",
  block: "block",
  silence: "limit",
  limit: "limit",
};

/** Reads a list in Mastodon's format; each bad line is an error naming its line and the fix. */
export function parseDomainPoliciesCsv(text: string): CsvParse {
  const errors: CsvLineError[] = [];
  const policies: CsvParse["policies"] = [];
  if (Buffer.byteLength(text) > CSV_MAX_BYTES) {
    return { policies, errors: [{ line: 0, error: "The file is larger than 1 MiB." }] };
  }
  const rows = records(text.replace(/^\uFEFF/, ""));
  const [header, ...lines] = rows;
  const columns = header?.fields.map((f) => f.trim().replace(/^#/, "").toLowerCase()) ?? [];
  const at = (name: string) => columns.indexOf(name);
  if (!header || at("domain") < 0) {
    return {
      policies,
      errors: [
        {
          line: header?.line ?? 1,
          error: `The first line must be the header ${CSV_HEADER} (a column #domain at least).`,
        },
      ],
    };
  }
  if (lines.length > CSV_MAX_LINES) {
    return { policies, errors: [{ line: 0, error: `At most ${CSV_MAX_LINES} domains a file.` }] };
  }
  for (const { line, fields } of lines) {
    const value = (name: string) => (at(name) < 0 ? "" : (fields[at(name)] ?? "").trim());
    const host = value("domain");
    const severityText = (value("severity") || "suspend").toLowerCase();
    const severity = SEVERITIES[severityText];
    if (!host) {
      errors.push({ line, error: "No domain in the #domain column." });
    } else if (!severity) {
      errors.push({
        line,
        error: `${host}: the severity "${severityText.slice(0, 20)}" is not suspend or silence (noop is not imported).`,
      });
    } else {
      policies.push({ line, input: { host, severity, publicReason: value("public_comment") } });
    }
  }
  return { policies, errors };
}

/** Imports a CSV: every good line is applied, every bad one reported; nothing stops halfway. */
export async function importDomainPoliciesCsv(
  service: Pick<DomainPoliciesService, "set">,
  text: string,
  moderator: Moderator,
): Promise<{ applied: number; errors: CsvLineError[] }> {
  const { policies, errors } = parseDomainPoliciesCsv(text);
  let applied = 0;
  for (const { line, input } of policies) {
    try {
      await service.set(input, moderator);
      applied++;
    } catch (error) {
      if (!isDomainError(error)) throw error;
      errors.push({ line, error: error.message });
    }
  }
  errors.sort((a, b) => a.line - b.line);
  return { applied, errors };
}
