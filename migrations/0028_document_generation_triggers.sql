-- The one row of document_generation, raised once by every transaction that changes what a
-- served ActivityPub document is made of (src/http/document-cache.ts). The triggers are
-- deferred: the row is locked only at commit, after every other lock of the transaction, so it
-- never takes part in a deadlock; a transaction-local setting makes it one update per transaction.
INSERT INTO "document_generation" ("id", "generation") VALUES (1, 0) ON CONFLICT DO NOTHING;
--> statement-breakpoint
CREATE FUNCTION "bump_document_generation"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  next_generation bigint;
BEGIN
  IF current_setting('socialdapres.document_generation_bumped', true) = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('socialdapres.document_generation_bumped', 'on', true);
  UPDATE "document_generation" SET "generation" = "generation" + 1 WHERE "id" = 1
    RETURNING "generation" INTO next_generation;
  -- Delivered at commit; PGlite's process listens (src/db/document-generation.ts).
  PERFORM pg_notify('document_generation', next_generation::text);
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Every table a served document is made of (src/http/server.ts, isCacheableDocument).
DO $$
DECLARE
  source_table text;
BEGIN
  FOREACH source_table IN ARRAY ARRAY['members', 'actor_keys', 'actors', 'encounters',
    'encounter_participants', 'encounter_replies', 'encounter_reactions', 'instance_settings']
  LOOP
    EXECUTE format(
      'CREATE CONSTRAINT TRIGGER "documents_changed" AFTER INSERT OR UPDATE OR DELETE ON %I
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_document_generation"()',
      source_table);
  END LOOP;
END $$;
