import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { namesNobodyMessage, undescribedPhotoMessage } from "../../src/api/mastodon/status-text.ts";

/*
 * The French of the pages, mails, messages and API errors says « tu », as the founding texts
 * do among pioneers: never « vous », « votre », « vos », nor an imperative in « -ez ».
 * Every source file is read, so a new page or message in the other register fails here.
 */

const SRC = new URL("../../src/", import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|html|txt)$/.test(entry.name) ? [path] : [];
  });
}

// « vous », « votre », « vos », and second-person plural verbs (« écrivez », « connectez »).
const OTHER_REGISTER = /(?<![\p{L}\p{N}_])(vous|votre|vos|\p{L}{2,}ez)(?![\p{L}\p{N}_])/giu;
// Words that merely end in « -ez ».
const NOT_VERBS = new Set(["assez", "chez", "nez", "rez"]);

function registerFaults(text: string): string[] {
  return text.split("\n").flatMap((line, index) =>
    [...line.matchAll(OTHER_REGISTER)]
      .map((match) => match[0])
      .filter((word) => !NOT_VERBS.has(word.toLowerCase()))
      .map((word) => `${index + 1}: « ${word} » in ${line.trim().slice(0, 100)}`),
  );
}

describe("the French register", () => {
  it("finds « vous » and « -ez » where they are", () => {
    expect(registerFaults("Connectez-vous à votre compte")).toHaveLength(3);
    expect(registerFaults("Écris-lui, c'est assez, chez toi")).toEqual([]);
  });

  it("says « tu » in every page, mail and message of the code", () => {
    const faults = sourceFiles(SRC).flatMap((file) =>
      registerFaults(readFileSync(file, "utf8")).map((f) => `${relative(SRC, file)}:${f}`),
    );
    expect(faults).toEqual([]);
  });

  it("says it in the Mastodon API's errors too", () => {
    expect(namesNobodyMessage("fr")).toMatch(/^Nomme la personne rencontrée : écris /);
    expect(undescribedPhotoMessage("fr-FR")).toMatch(/^Décris la photo/);
  });
});
