-- actor_counters is kept by these statement-level triggers, in the transaction of the change:
-- every insert, update and delete of follows and encounters (cascades from a deleted actor or
-- member included) adds its difference, summed per actor over the statement's rows.
-- An actor that is gone (deleted in the same statement) is skipped: its counters go with it.
CREATE FUNCTION "actor_counters_add"("deltas" jsonb) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "actor_counters" AS c
    ("actor_id", "followers_count", "following_count", "public_encounters_count", "unlisted_encounters_count")
  SELECT d."actor_id", d."followers", d."following", d."public", d."unlisted"
  FROM (
    SELECT ("value"->>'actor_id')::uuid AS "actor_id",
      sum(coalesce(("value"->>'followers')::int, 0))::int AS "followers",
      sum(coalesce(("value"->>'following')::int, 0))::int AS "following",
      sum(coalesce(("value"->>'public')::int, 0))::int AS "public",
      sum(coalesce(("value"->>'unlisted')::int, 0))::int AS "unlisted"
    FROM jsonb_array_elements(deltas) GROUP BY 1
  ) d
  JOIN "actors" a ON a."id" = d."actor_id"
  WHERE d."followers" <> 0 OR d."following" <> 0 OR d."public" <> 0 OR d."unlisted" <> 0
  ON CONFLICT ("actor_id") DO UPDATE SET
    "followers_count" = c."followers_count" + excluded."followers_count",
    "following_count" = c."following_count" + excluded."following_count",
    "public_encounters_count" = c."public_encounters_count" + excluded."public_encounters_count",
    "unlisted_encounters_count" = c."unlisted_encounters_count" + excluded."unlisted_encounters_count";
$$;
--> statement-breakpoint
CREATE FUNCTION "follows_count_trigger"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  deltas jsonb := '[]';
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    deltas := deltas || coalesce((
      SELECT jsonb_agg(x) FROM old_rows o,
        LATERAL (VALUES
          (jsonb_build_object('actor_id', o."following_id", 'followers', -1)),
          (jsonb_build_object('actor_id', o."follower_id", 'following', -1))
        ) AS v(x)
      WHERE o."state" = 'accepted'), '[]');
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    deltas := deltas || coalesce((
      SELECT jsonb_agg(x) FROM new_rows n,
        LATERAL (VALUES
          (jsonb_build_object('actor_id', n."following_id", 'followers', 1)),
          (jsonb_build_object('actor_id', n."follower_id", 'following', 1))
        ) AS v(x)
      WHERE n."state" = 'accepted'), '[]');
  END IF;
  PERFORM actor_counters_add(deltas);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "encounters_count_trigger"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  deltas jsonb := '[]';
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    deltas := deltas || coalesce((
      SELECT jsonb_agg(jsonb_build_object('actor_id', o."author_id", o."visibility", -1))
      FROM old_rows o
      WHERE o."deleted_at" IS NULL AND o."visibility" IN ('public', 'unlisted')), '[]');
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    deltas := deltas || coalesce((
      SELECT jsonb_agg(jsonb_build_object('actor_id', n."author_id", n."visibility", 1))
      FROM new_rows n
      WHERE n."deleted_at" IS NULL AND n."visibility" IN ('public', 'unlisted')), '[]');
  END IF;
  PERFORM actor_counters_add(deltas);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "follows_count_insert" AFTER INSERT ON "follows" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION follows_count_trigger();
--> statement-breakpoint
CREATE TRIGGER "follows_count_update" AFTER UPDATE ON "follows" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION follows_count_trigger();
--> statement-breakpoint
CREATE TRIGGER "follows_count_delete" AFTER DELETE ON "follows" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION follows_count_trigger();
--> statement-breakpoint
CREATE TRIGGER "encounters_count_insert" AFTER INSERT ON "encounters" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION encounters_count_trigger();
--> statement-breakpoint
CREATE TRIGGER "encounters_count_update" AFTER UPDATE ON "encounters" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION encounters_count_trigger();
--> statement-breakpoint
CREATE TRIGGER "encounters_count_delete" AFTER DELETE ON "encounters" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION encounters_count_trigger();
--> statement-breakpoint
-- What is there already.
INSERT INTO "actor_counters"
  ("actor_id", "followers_count", "following_count", "public_encounters_count", "unlisted_encounters_count")
SELECT a."id",
  (SELECT count(*) FROM "follows" f WHERE f."following_id" = a."id" AND f."state" = 'accepted'),
  (SELECT count(*) FROM "follows" f WHERE f."follower_id" = a."id" AND f."state" = 'accepted'),
  (SELECT count(*) FROM "encounters" e WHERE e."author_id" = a."id" AND e."deleted_at" IS NULL
     AND e."visibility" = 'public'),
  (SELECT count(*) FROM "encounters" e WHERE e."author_id" = a."id" AND e."deleted_at" IS NULL
     AND e."visibility" = 'unlisted')
FROM "actors" a;
