CREATE TABLE "actor_counters" (
	"actor_id" uuid PRIMARY KEY NOT NULL,
	"followers_count" integer DEFAULT 0 NOT NULL,
	"following_count" integer DEFAULT 0 NOT NULL,
	"public_encounters_count" integer DEFAULT 0 NOT NULL,
	"unlisted_encounters_count" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
DROP INDEX "follows_following_idx";--> statement-breakpoint
DROP INDEX "encounters_author_idx";--> statement-breakpoint
DROP INDEX "encounters_published_idx";--> statement-breakpoint
DROP INDEX "notifications_member_idx";--> statement-breakpoint
ALTER TABLE "follows" ALTER COLUMN "created_at" SET DATA TYPE timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "follows" ALTER COLUMN "created_at" SET DEFAULT now();--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "created_at" SET DATA TYPE timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "created_at" SET DEFAULT now();--> statement-breakpoint
ALTER TABLE "actor_counters" ADD CONSTRAINT "actor_counters_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "follows_follower_idx" ON "follows" USING btree ("follower_id","state","created_at","id");--> statement-breakpoint
CREATE INDEX "encounters_keywords_lower_idx" ON "encounters" USING gin (socialdapres_lower_keywords("keywords"));--> statement-breakpoint
CREATE INDEX "notifications_unread_idx" ON "notifications" USING btree ("member_id") WHERE "notifications"."read_at" is null;--> statement-breakpoint
CREATE INDEX "follows_following_idx" ON "follows" USING btree ("following_id","state","created_at","id");--> statement-breakpoint
CREATE INDEX "encounters_author_idx" ON "encounters" USING btree ("author_id","published_at","id");--> statement-breakpoint
CREATE INDEX "encounters_published_idx" ON "encounters" USING btree ("published_at","id");--> statement-breakpoint
CREATE INDEX "notifications_member_idx" ON "notifications" USING btree ("member_id","created_at","id");