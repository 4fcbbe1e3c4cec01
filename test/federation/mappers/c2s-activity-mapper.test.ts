import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { visibilityFromAddressing } from "../../../src/federation/mappers/addressing.ts";
import { activityToCommand } from "../../../src/federation/mappers/c2s-activity.ts";
import { isDomainError } from "../../../src/shared/errors.ts";
import { htmlToPlainText } from "../../../src/shared/sanitize-html.ts";

const fixture = (path: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/fediverse/${path}`, import.meta.url), "utf8"));
const FOLLOWERS = "https://our.example/users/bea/followers";
const ctx = { followersIri: FOLLOWERS };
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

function refusal(json: unknown): string {
  try {
    activityToCommand(json, ctx);
  } catch (error) {
    if (isDomainError(error) && error.code === "invalid") return error.message;
    throw error;
  }
  throw new Error("accepted");
}

describe("C2S mapping: activity → command", () => {
  it("a Note with inReplyTo is a reply, as wide as what it answers unless addressed", () => {
    expect(activityToCommand(fixture("gotosocial/note-reply-mention.json"), ctx)).toEqual({
      kind: "reply",
      inReplyTo: "http://localhost:8080/users/the_mighty_zork/statuses/01F8MHAMCHF6Y650WCRSCP4WMY",
      input: { text: "hi @the_mighty_zork welcome to the instance!", visibility: "public" },
    });
    const reply = {
      type: "Create",
      object: {
        type: "Note",
        inReplyTo: { id: "https://our.example/users/antoine/encounters/1", type: "Note" },
        content: '<p><a href="https://our.example/@antoine">@antoine</a> Bravo</p>',
        tag: [{ type: "Mention", href: "https://our.example/users/antoine", name: "@antoine" }],
      },
    };
    // No addressing, no visibility asked: the service takes the encounter's.
    expect(activityToCommand(reply, ctx)).toEqual({
      kind: "reply",
      inReplyTo: "https://our.example/users/antoine/encounters/1",
      input: { text: "Bravo", visibility: undefined },
    });
    expect(activityToCommand({ ...reply, to: [FOLLOWERS] }, ctx)).toMatchObject({
      input: { visibility: "followers" },
    });
    expect(refusal({ ...reply, object: { ...reply.object, inReplyTo: "urn:x:1" } })).toMatch(
      /inReplyTo must be the IRI/,
    );
  });

  it("reads a real Mastodon Note: mention, hashtags, the words without the tag words", () => {
    const command = activityToCommand(fixture("mastodon/note-public-mention-hashtags.json"), ctx);
    expect(command.kind).toBe("create");
    if (command.kind !== "create") return;
    expect(command.input.participants).toEqual([
      "https://gts.superseriousbusiness.org/users/gotosocial",
    ]);
    // Every Hashtag as sent, even odd ones: the domain's keyword rules judge them later.
    const keywords = command.input.keywords ?? [];
    expect(keywords).toHaveLength(5);
    expect([keywords[0], keywords[1], keywords[3], keywords[4]]).toEqual([
      "fediverse",
      "gotosocial",
      "Grüvy",
      "각",
    ]);
    expect(command.input.visibility).toBe("public");
    // A mention inside the sentence stays as written; entities are decoded; paragraphs kept.
    expect(command.input.text).toMatch(/^⚡ Heard of @gotosocial \?\n\nGoToSocial provides/);
    expect(command.input.text).toContain("if you'd like a safety-focused alternative");
    expect(command.input.text).not.toContain("<");
  });

  it("reads GoToSocial's bare values: tag and to as single objects/strings", () => {
    // Without its inReplyTo: as it is, it is a reply (below).
    const { inReplyTo: _, ...note } = fixture("gotosocial/note-reply-mention.json");
    const command = activityToCommand(note, ctx);
    expect(command).toMatchObject({
      kind: "create",
      input: {
        participants: ["http://localhost:8080/users/the_mighty_zork"],
        keywords: [],
        visibility: "public",
        text: "hi @the_mighty_zork welcome to the instance!",
      },
    });
  });

  it("a Create without any Mention is refused: an encounter names someone", () => {
    expect(refusal(fixture("mastodon/create-note-unlisted-hashtags-emoji.json"))).toMatch(
      /Name at least one person with a Mention tag/,
    );
  });

  it("prefers source.content (plain or Markdown), drops leading mentions and trailing tags", () => {
    const note = {
      type: "Note",
      content: "<p>ignored</p>",
      source: {
        content: "@antoine@b.example: ravie de t'avoir vu ! #café #Socialdapres",
        mediaType: "text/markdown",
      },
      tag: [
        { type: "Mention", name: "@antoine@b.example" },
        { type: "Hashtag", name: "#café" },
        { type: "Hashtag", name: "#Socialdapres" },
      ],
      cc: [PUBLIC],
      "socialdapres:occurredOn": "2025-05-01",
      "socialdapres:details": { emotion: "joie" },
      bcc: ["https://secret.example/users/x"],
      attachment: [{ type: "Image", url: "https://elsewhere.example/a.jpg" }],
    };
    expect(
      activityToCommand(
        { type: "Create", id: "https://client.example/made-up", object: note },
        ctx,
      ),
    ).toEqual({
      kind: "create",
      input: {
        text: "ravie de t'avoir vu !",
        participants: ["@antoine@b.example"],
        keywords: ["café"],
        visibility: "unlisted",
        occurredOn: "2025-05-01",
        details: { emotion: "joie" },
      },
    });
    // HTML source is not plain text: content is used.
    const html = {
      ...note,
      source: { content: "<b>x</b>", mediaType: "text/html" },
      content: "<p>Bonjour</p>",
    };
    expect(activityToCommand(html, ctx)).toMatchObject({ input: { text: "Bonjour" } });
  });

  it("visibility follows Mastodon's addressing, on the activity or the Note", () => {
    const visibilityOf = (to: string[], cc: string[]) =>
      visibilityFromAddressing(to, cc, (iri) => iri === FOLLOWERS);
    expect(visibilityOf([PUBLIC], [FOLLOWERS])).toBe("public");
    expect(visibilityOf(["as:Public"], [])).toBe("public");
    expect(visibilityOf([FOLLOWERS], [PUBLIC])).toBe("unlisted");
    expect(visibilityOf([FOLLOWERS], [])).toBe("followers");
    expect(visibilityOf(["https://b.example/users/antoine"], [])).toBe("participants");
    expect(visibilityOf([], [])).toBe("participants");
    // Every spelling of the public audience, as servers send it.
    expect(visibilityOf(["Public"], [])).toBe("public");
    expect(visibilityOf([FOLLOWERS], ["as:Public"])).toBe("unlisted");
    const note = {
      type: "Note",
      content: "x",
      tag: { type: "Mention", href: "https://b.example/users/a" },
    };
    expect(activityToCommand({ type: "Create", to: FOLLOWERS, object: note }, ctx)).toMatchObject({
      input: { visibility: "followers" },
    });
  });

  it("maps Follow, Undo(Follow), Announce, Undo(Announce), Delete and a partial Update", () => {
    const them = "https://b.example/users/antoine";
    const encounter = "https://our.example/users/bea/encounters/1";
    expect(activityToCommand({ type: "Follow", object: them }, ctx)).toEqual({
      kind: "follow",
      targetIri: them,
    });
    expect(
      activityToCommand({ type: "Follow", object: { id: them, type: "Person" } }, ctx),
    ).toEqual({
      kind: "follow",
      targetIri: them,
    });
    expect(
      activityToCommand({ type: "Undo", object: { type: "Follow", object: them } }, ctx),
    ).toEqual({
      kind: "unfollow",
      targetIri: them,
    });
    expect(activityToCommand({ type: "Announce", object: encounter }, ctx)).toEqual({
      kind: "cosign",
      objectIri: encounter,
    });
    expect(
      activityToCommand({ type: "Undo", object: { type: "Announce", object: encounter } }, ctx),
    ).toEqual({
      kind: "decline",
      objectIri: encounter,
    });
    expect(
      activityToCommand({ type: "Delete", object: { id: encounter, type: "Tombstone" } }, ctx),
    ).toEqual({
      kind: "delete",
      objectIri: encounter,
    });
    expect(
      activityToCommand(
        { type: "Update", object: { type: "Note", id: encounter, content: "<p>Nouveau</p>" } },
        ctx,
      ),
    ).toEqual({ kind: "update", objectIri: encounter, patch: { text: "Nouveau" } });
  });

  it("maps Like, Undo(Like) by object or by id, and Undo of a bare activity IRI", () => {
    const note = "https://b.example/users/antoine/statuses/1";
    const like = "https://our.example/activities/like/1";
    expect(activityToCommand({ type: "Like", object: note }, ctx)).toEqual({
      kind: "like",
      objectIri: note,
    });
    expect(activityToCommand({ type: "Like", object: { id: note, type: "Note" } }, ctx)).toEqual({
      kind: "like",
      objectIri: note,
    });
    // The object identifies the like better than an id the client may have made up.
    expect(
      activityToCommand({ type: "Undo", object: { type: "Like", id: like, object: note } }, ctx),
    ).toEqual({ kind: "unlike", iri: note });
    expect(activityToCommand({ type: "Undo", object: { type: "Like", id: like } }, ctx)).toEqual({
      kind: "unlike",
      iri: like,
    });
    expect(activityToCommand({ type: "Undo", object: like }, ctx)).toEqual({
      kind: "undo",
      activityIri: like,
    });
    expect(activityToCommand({ type: "Undo", object: { id: like } }, ctx)).toEqual({
      kind: "undo",
      activityIri: like,
    });
  });

  it("refuses what it cannot carry out, each with a reason", () => {
    expect(refusal({ type: "Like" })).toMatch(/Like needs an `object`/);
    expect(refusal({ type: "Block", object: "https://x.example/u/1" })).toMatch(
      /Block is not supported/,
    );
    expect(refusal({ type: "Create", object: { type: "Article", content: "x" } })).toMatch(
      /embedded Note/,
    );
    expect(refusal({ type: "Create", object: "https://x.example/n/1" })).toMatch(/embedded Note/);
    expect(refusal({ type: "Follow" })).toMatch(/Follow needs an `object`/);
    expect(refusal({ type: "Follow", object: "mailto:x" })).toMatch(/Follow needs an `object`/);
    expect(refusal({ type: "Undo", object: "not an IRI" })).toMatch(/Undo needs an `object`/);
    expect(refusal({ type: "Undo" })).toMatch(/embedded with its `type`/);
    expect(refusal({ type: "Undo", object: { type: "Like" } })).toMatch(/Undo\(Like\) needs/);
    expect(refusal({ type: "Undo", object: { type: "Block", object: "https://x" } })).toMatch(
      /Undo of Block/,
    );
    expect(refusal({ type: "Update", object: { type: "Note", content: "x" } })).toMatch(
      /Note's `id`/,
    );
    expect(refusal({ object: "x" })).toMatch(/with a `type`/);
    expect(refusal("Note")).toMatch(/with a `type`/);
    expect(refusal([{ type: "Note" }])).toMatch(/with a `type`/);
  });

  it("a Note's HTML is read as text by the one HTML-to-text conversion", () => {
    expect(htmlToPlainText("<p>a &amp; b&nbsp;&lt;c&gt; &#233;&#x1F600;</p><p>d<br>e</p>")).toBe(
      "a & b\u00a0<c> é😀\n\nd\ne",
    );
    // An unknown entity stays as written; a NUL code point never reaches the text.
    expect(htmlToPlainText("&bogus; &#0;")).toBe("&bogus; \uFFFD");
  });
});
