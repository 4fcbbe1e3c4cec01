import { z } from "zod";

/**
 * Mastodon's account-list CSVs, pure: what its "Data export" writes and its "Import" reads.
 * The following list has a header (`Account address,Show boosts,Notify on new posts,Languages`)
 * and one `user@host` per line; a block list is one `user@host` per line, without a header.
 */
export const FOLLOWING_HEADER = "Account address,Show boosts,Notify on new posts,Languages";

/** The most accounts one import may list (Mastodon's own limit is of the same order). */
export const MAX_IMPORT_LINES = 5_000;

/** `user@host`: a username of letters, digits, `_`, `.`, `-`, and a host name (a port allowed). */
export const handleSchema = z
  .string()
  .trim()
  .transform((s) => s.replace(/^@/, ""))
  .pipe(
    z
      .string()
      .max(300, "is too long")
      .regex(
        /^[\p{L}\p{N}_.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/iu,
        "is not an account address user@host",
      ),
  );

/** One cell, quoted when it must be (RFC 4180). */
function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The following list, as Mastodon writes it (boosts shown, no notifications, any language). */
export function printFollowingCsv(handles: string[]): string {
  return [FOLLOWING_HEADER, ...handles.map((h) => `${cell(h)},true,false,`)]
    .map((line) => `${line}\n`)
    .join("");
}

/** A plain list of accounts (followers, blocks): one address a line, as Mastodon's block list. */
export function printAccountListCsv(handles: string[]): string {
  return handles.map((h) => `${cell(h)}\n`).join("");
}

export interface ParsedFollowing {
  /** Each account once, with the line (1-based) it came from. */
  accounts: Array<{ line: number; handle: string }>;
  /** The lines that could not be read, and why. */
  errors: Array<{ line: number; message: string }>;
}

/** The first cell of a CSV line: quoted or not. */
function firstCell(line: string): string {
  if (!line.startsWith('"')) return line.split(",")[0] ?? "";
  const end = line.indexOf('"', 1);
  return end < 0 ? line.slice(1) : line.slice(1, end);
}

/**
 * Reads a following list: Mastodon's (with its header) or a plain one (an address a line).
 * Empty lines are skipped, a repeated account is kept once, and every other line that is not
 * an address is reported with its number; beyond `MAX_IMPORT_LINES` accounts, the rest is too.
 */
export function parseFollowingCsv(text: string): ParsedFollowing {
  const accounts: ParsedFollowing["accounts"] = [];
  const errors: ParsedFollowing["errors"] = [];
  const seen = new Set<string>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const value = firstCell(raw.trim()).trim();
    if (value === "") return;
    if (line === 1 && value.toLowerCase() === "account address") return;
    const parsed = handleSchema.safeParse(value);
    if (!parsed.success) {
      const why = parsed.error.issues[0]?.message ?? "is not an account address";
      errors.push({ line, message: `"${value.slice(0, 80)}" ${why}` });
      return;
    }
    const handle = parsed.data.toLowerCase();
    if (seen.has(handle)) return;
    if (accounts.length >= MAX_IMPORT_LINES) {
      errors.push({
        line,
        message: `more than ${MAX_IMPORT_LINES} accounts: this one is left out`,
      });
      return;
    }
    seen.add(handle);
    accounts.push({ line, handle: parsed.data });
  });
  return { accounts, errors };
}
