ALTER TABLE "weekly_questions" ADD COLUMN "linked_account_iri" text;--> statement-breakpoint
ALTER TABLE "weekly_questions" ADD COLUMN "reasked_at" timestamp with time zone;--> statement-breakpoint
-- Questions already sent to a linked account (a second note) name it, so none is asked twice.
UPDATE "weekly_questions" SET "linked_account_iri" = "tracker_settings"."linked_account_iri" FROM "tracker_settings" WHERE "tracker_settings"."member_id" = "weekly_questions"."member_id" AND cardinality("weekly_questions"."note_iris") > 1;
