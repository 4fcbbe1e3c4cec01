import { describe, expect, it } from "vitest";
import {
  FOLLOWING_HEADER,
  MAX_IMPORT_LINES,
  parseFollowingCsv,
  printAccountListCsv,
  printFollowingCsv,
} from "../src/follows/mastodon-csv.ts";

describe("Mastodon's account-list CSVs", () => {
  it("prints the following list as Mastodon's export: its header, then one account a line", () => {
    expect(printFollowingCsv(["bea@a.example", "antoine@b.example:8443"])).toBe(
      `${FOLLOWING_HEADER}\nbea@a.example,true,false,\nantoine@b.example:8443,true,false,\n`,
    );
    expect(printFollowingCsv([])).toBe(`${FOLLOWING_HEADER}\n`);
    expect(printAccountListCsv(["x@y.example"])).toBe("x@y.example\n");
    expect(printAccountListCsv([])).toBe("");
  });

  it("reads back what it prints, and Mastodon's own export (BOM, CRLF, quoted cells)", () => {
    const printed = printFollowingCsv(["bea@a.example", "antoine@b.example"]);
    expect(parseFollowingCsv(printed)).toEqual({
      accounts: [
        { line: 2, handle: "bea@a.example" },
        { line: 3, handle: "antoine@b.example" },
      ],
      errors: [],
    });
    const mastodon = `\uFEFF${FOLLOWING_HEADER}\r\n"carol@c.example",true,false,"fr,en"\r\n@dan@d.example,false,true,\r\n\r\n`;
    expect(parseFollowingCsv(mastodon).accounts.map((a) => a.handle)).toEqual([
      "carol@c.example",
      "dan@d.example",
    ]);
  });

  it("reads a plain list without header, keeps each account once, reports bad lines by number", () => {
    const parsed = parseFollowingCsv(
      "bea@a.example\nnot an address\nBEA@A.example\n=cmd()\nhttps://a.example/users/x\nx@\n",
    );
    expect(parsed.accounts).toEqual([{ line: 1, handle: "bea@a.example" }]);
    expect(parsed.errors.map((e) => e.line)).toEqual([2, 4, 5, 6]);
    expect(parsed.errors[0]?.message).toMatch(
      /"not an address" is not an account address user@host/,
    );
  });

  it("leaves out the accounts past the limit, saying so", () => {
    const many = Array.from({ length: MAX_IMPORT_LINES + 2 }, (_, i) => `u${i}@h.example`);
    const parsed = parseFollowingCsv(many.join("\n"));
    expect(parsed.accounts).toHaveLength(MAX_IMPORT_LINES);
    expect(parsed.errors).toHaveLength(2);
    expect(parsed.errors[0]).toMatchObject({ line: MAX_IMPORT_LINES + 1 });
  });
});
