-- The visitor pages (src/http/page-cache.ts) are kept under the same document generation as the
-- ActivityPub documents, and read two more tables: `actor_counters` (a profile's followers and
-- following; kept by triggers in the follow's own transaction, so a follow raises the generation
-- through it) and `domain_policies` (a limited or blocked server's encounters leave the tag pages).
-- Every other table those pages read is already in `document_generation_triggers`.
CREATE CONSTRAINT TRIGGER "documents_changed" AFTER INSERT OR UPDATE OR DELETE ON "actor_counters"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_document_generation"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "documents_changed" AFTER INSERT OR UPDATE OR DELETE ON "domain_policies"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_document_generation"();
