import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encounterJsonSchema } from "../../src/api/encounter-json.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { API, client, membersWithTokens, multipart } from "./helpers.ts";

describe(`own API: multipart encounters with a photo (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea"]);
    bea = client(t.app, tokens.bea as string);
  });
  afterAll(() => t?.close());

  it("multipart: a real JPEG becomes the photo; the JSON fields can be one `data` field", async () => {
    const jpeg = await sharp({
      create: { width: 800, height: 600, channels: 3, background: "#c84" },
    })
      .jpeg()
      .toBuffer();
    const form = new FormData();
    form.append(
      "data",
      JSON.stringify({ text: "Pique-nique", participants: ["Marie"], photoAlt: "Une nappe" }),
    );
    form.append("keywords[]", "Parc");
    form.append("keywords[]", "Soleil");
    form.append("photo", new Blob([jpeg], { type: "image/jpeg" }), "picnic.jpg");
    const response = await bea({
      method: "POST",
      url: `${API}/encounters`,
      ...(await multipart(form)),
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = encounterJsonSchema.parse(response.json());
    expect(body).toMatchObject({ text: "Pique-nique", keywords: ["Parc", "Soleil"] });
    expect(body.photo).toMatchObject({
      mediaType: "image/webp",
      width: 800,
      height: 600,
      alt: "Une nappe",
    });
    const served = await t.app.http.inject({
      method: "GET",
      url: new URL(body.photo?.url as string).pathname,
    });
    expect(served.statusCode).toBe(200);
    expect(served.headers["content-type"]).toBe("image/webp");

    // PATCH multipart with individual fields; then removePhoto in JSON.
    const patchForm = new FormData();
    patchForm.append("text", "Pique-nique au parc");
    patchForm.append("details[emotion]", "calme");
    patchForm.append("occurredOn", ""); // an empty input of a form means "unchanged"
    patchForm.append("photo", new Blob([]), ""); // a file input left empty
    const patched = await bea({
      method: "PATCH",
      url: `${API}/encounters/${body.id}`,
      ...(await multipart(patchForm)),
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      text: "Pique-nique au parc",
      details: { emotion: "calme" },
      keywords: ["Parc", "Soleil"],
      photo: { alt: "Une nappe" },
    });
    const removed = await bea({
      method: "PATCH",
      url: `${API}/encounters/${body.id}`,
      payload: { removePhoto: true },
    });
    expect(removed.json()).toMatchObject({ photo: null, text: "Pique-nique au parc" });
    const gone = await t.app.http.inject({
      method: "GET",
      url: new URL(body.photo?.url as string).pathname,
    });
    expect(gone.statusCode).toBe(404);
  });

  it("multipart: `data` as a JSON-typed field (curl's ;type=application/json) or as a JSON file", async () => {
    const boundary = "----socialdapres-test";
    const raw = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="data"',
      "Content-Type: application/json",
      "",
      JSON.stringify({ text: "Champ JSON", participants: ["Marie"] }),
      `--${boundary}`,
      'Content-Disposition: form-data; name="participants"',
      "",
      "Louise",
      `--${boundary}--`,
      "",
    ].join("\r\n");
    const typed = await bea({
      method: "POST",
      url: `${API}/encounters`,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      payload: raw,
    });
    expect(typed.statusCode, typed.body).toBe(201);
    // A field sent on its own wins over the same field inside `data`.
    expect(typed.json()).toMatchObject({ text: "Champ JSON", participants: [{ name: "Louise" }] });

    const form = new FormData();
    form.append(
      "data",
      new Blob([JSON.stringify({ text: "Fichier JSON", participants: ["Marie"] })], {
        type: "application/json",
      }),
      "encounter.json",
    );
    const file = await bea({
      method: "POST",
      url: `${API}/encounters`,
      ...(await multipart(form)),
    });
    expect(file.statusCode, file.body).toBe(201);
    expect(file.json()).toMatchObject({ text: "Fichier JSON" });
  });
});
