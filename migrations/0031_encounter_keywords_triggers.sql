-- encounter_keywords (see src/db/schema/encounters.ts) is kept here, in the transaction of each
-- write to encounters, whoever makes it: a row per lowercased keyword of each encounter not
-- deleted. It replaces the GIN index on socialdapres_lower_keywords(keywords): a GIN index
-- cannot give rows in (published_at, id) order, so a keyword page was either a walk of the
-- newest encounters filtering them (a rare keyword walked thousands, an unknown one the whole
-- table) or every match fetched and sorted (a frequent one). A btree on (keyword,
-- published_at, encounter_id) is a keyset walk of that keyword's rows alone.
CREATE FUNCTION "encounter_keywords_trigger"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    -- Only the rows whose keywords, time or deletion changed (likes and edits of the text
    -- touch nothing here).
    DELETE FROM encounter_keywords k
    USING new_rows n JOIN old_rows o ON o."id" = n."id"
    WHERE k."encounter_id" = n."id"
      AND (n."keywords", n."published_at", n."deleted_at" IS NULL)
        IS DISTINCT FROM (o."keywords", o."published_at", o."deleted_at" IS NULL);
    INSERT INTO encounter_keywords ("encounter_id", "keyword", "published_at")
    SELECT DISTINCT n."id", lower(k), n."published_at"
    FROM new_rows n JOIN old_rows o ON o."id" = n."id", unnest(n."keywords") AS k
    WHERE n."deleted_at" IS NULL
      AND (n."keywords", n."published_at", n."deleted_at" IS NULL)
        IS DISTINCT FROM (o."keywords", o."published_at", o."deleted_at" IS NULL);
  ELSE
    INSERT INTO encounter_keywords ("encounter_id", "keyword", "published_at")
    SELECT DISTINCT n."id", lower(k), n."published_at"
    FROM new_rows n, unnest(n."keywords") AS k
    WHERE n."deleted_at" IS NULL;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "encounter_keywords_insert" AFTER INSERT ON "encounters" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION encounter_keywords_trigger();
--> statement-breakpoint
CREATE TRIGGER "encounter_keywords_update" AFTER UPDATE ON "encounters" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION encounter_keywords_trigger();
--> statement-breakpoint
-- What is there already.
INSERT INTO encounter_keywords ("encounter_id", "keyword", "published_at")
SELECT DISTINCT e."id", lower(k), e."published_at"
FROM encounters e, unnest(e."keywords") AS k
WHERE e."deleted_at" IS NULL;
--> statement-breakpoint
DROP FUNCTION "socialdapres_lower_keywords"(text[]);
