ALTER TABLE "encounters" ADD COLUMN "content_warning" text;--> statement-breakpoint
ALTER TABLE "encounters" ADD COLUMN "sensitive" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "actor_id" uuid;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "object_iri" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "object_url" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "excerpt" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_object_once_idx" ON "notifications" USING btree ("member_id","kind","object_iri");