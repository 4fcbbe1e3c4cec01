CREATE TABLE "encounter_keywords" (
	"encounter_id" uuid NOT NULL,
	"keyword" text NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	CONSTRAINT "encounter_keywords_encounter_id_keyword_pk" PRIMARY KEY("encounter_id","keyword")
);
--> statement-breakpoint
DROP INDEX "encounters_keywords_lower_idx";--> statement-breakpoint
ALTER TABLE "encounter_keywords" ADD CONSTRAINT "encounter_keywords_encounter_id_encounters_id_fk" FOREIGN KEY ("encounter_id") REFERENCES "public"."encounters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "encounter_keywords_list_idx" ON "encounter_keywords" USING btree ("keyword","published_at","encounter_id");