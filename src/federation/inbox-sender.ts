/**
 * The first check of an inbox POST, on the request as received and before any fetch: it must
 * carry an HTTP signature whose key is on the server of the activity's one actor
 * (FEP-fe34's origin-based model), and that actor is never one of this instance's own,
 * whose activities are never received from outside. Fedify then verifies the signature and
 * that the key belongs to the actor (keys bound to their owners: src/federation/key-binding.ts).
 * Returns why the request is refused, or undefined.
 */
export function inboxSenderRefusal(
  headers: Headers,
  activity: Record<string, unknown>,
  localOrigin: string,
): string | undefined {
  const actors = idsOf(activity.actor);
  if (actors.length !== 1) return "The activity must name exactly one actor, by its id.";
  const actor = URL.parse(actors[0] as string);
  if (!actor || (actor.protocol !== "https:" && actor.protocol !== "http:")) {
    return "The activity's actor must be an http(s) URL.";
  }
  if (actor.origin === localOrigin) {
    return "Activities of this instance's members are never received from another server.";
  }
  const keyIds = signatureKeyIds(headers);
  if (keyIds.length === 0) {
    return "The request carries no HTTP signature: sign it with the actor's own key (draft-cavage-http-signatures-12 or RFC 9421).";
  }
  if (keyIds.some((keyId) => URL.parse(keyId)?.origin !== actor.origin)) {
    return "The signature's key (keyId) is not on the actor's server: an actor signs with its own key.";
  }
  return undefined;
}

/**
 * True when every HTTP signature of the request is made with a key of the activity's actor
 * itself (its id is the actor's, a fragment of it or a path under it: `…/users/x#main-key`
 * for Mastodon, Misskey, Pleroma and Fedify, `…/users/x/main-key` for GoToSocial). Such a
 * request is authenticated by its HTTP signature alone, as Mastodon does: the bridge then
 * hands Fedify the activity without its Linked Data signature and integrity proof, so that
 * Fedify verifies the HTTP signature (and that the key belongs to the actor) instead of
 * them — about 20 ms less per activity. A request signed by anyone else (a forwarded
 * activity) keeps them: only they can speak for the actor then.
 */
export function signedByItsActor(headers: Headers, activity: Record<string, unknown>): boolean {
  const actors = idsOf(activity.actor);
  const actor = actors.length === 1 ? (actors[0] as string) : "";
  const keyIds = signatureKeyIds(headers);
  if (!actor || keyIds.length === 0) return false;
  return keyIds.every(
    (keyId) => keyId === actor || keyId.startsWith(`${actor}#`) || keyId.startsWith(`${actor}/`),
  );
}

function idsOf(value: unknown): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.map((v) =>
    typeof v === "string" ? v : typeof v === "object" && v && "id" in v ? String(v.id) : "",
  );
}

/** The key ids of every signature: draft-cavage (`Signature`, or `Authorization: Signature`) and RFC 9421 (`Signature-Input`). */
function signatureKeyIds(headers: Headers): string[] {
  const ids: string[] = [];
  const cavage = [
    headers.get("signature"),
    headers.get("authorization")?.replace(/^Signature\s+/i, ""),
  ];
  for (const header of cavage) {
    const keyId = header && /(?:^|,)\s*keyId\s*=\s*"([^"]*)"/i.exec(header)?.[1];
    if (keyId) ids.push(keyId);
  }
  for (const match of (headers.get("signature-input") ?? "").matchAll(
    /;\s*keyid\s*=\s*"([^"]*)"/gi,
  )) {
    ids.push(match[1] as string);
  }
  return ids;
}
