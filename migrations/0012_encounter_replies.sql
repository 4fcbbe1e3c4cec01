CREATE TABLE "encounter_replies" (
	"id" uuid PRIMARY KEY NOT NULL,
	"iri" text NOT NULL,
	"url" text,
	"encounter_id" uuid NOT NULL,
	"in_reply_to_iri" text NOT NULL,
	"author_id" uuid NOT NULL,
	"is_local" boolean NOT NULL,
	"text" text NOT NULL,
	"remote_content_html" text,
	"visibility" text NOT NULL,
	"mentions" text[] DEFAULT '{}' NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
DROP INDEX "notifications_once_idx";--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "reply_id" uuid;--> statement-breakpoint
ALTER TABLE "encounter_replies" ADD CONSTRAINT "encounter_replies_encounter_id_encounters_id_fk" FOREIGN KEY ("encounter_id") REFERENCES "public"."encounters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "encounter_replies" ADD CONSTRAINT "encounter_replies_author_id_actors_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "encounter_replies_iri_idx" ON "encounter_replies" USING btree ("iri");--> statement-breakpoint
CREATE INDEX "encounter_replies_encounter_idx" ON "encounter_replies" USING btree ("encounter_id","published_at");--> statement-breakpoint
CREATE INDEX "encounter_replies_author_idx" ON "encounter_replies" USING btree ("author_id");--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_reply_id_encounter_replies_id_fk" FOREIGN KEY ("reply_id") REFERENCES "public"."encounter_replies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_reply_once_idx" ON "notifications" USING btree ("member_id","reply_id") WHERE "notifications"."reply_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_once_idx" ON "notifications" USING btree ("member_id","kind","encounter_id") WHERE "notifications"."reply_id" is null;