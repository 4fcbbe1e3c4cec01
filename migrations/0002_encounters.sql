CREATE TABLE "encounter_participants" (
	"id" uuid PRIMARY KEY NOT NULL,
	"encounter_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"actor_id" uuid,
	"plain_name" text,
	"cosign_state" text DEFAULT 'pending' NOT NULL,
	"cosign_activity_iri" text,
	"cosigned_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "encounter_reactions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"encounter_id" uuid NOT NULL,
	"actor_iri" text NOT NULL,
	"kind" text NOT NULL,
	"activity_iri" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "encounters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"iri" text NOT NULL,
	"url" text,
	"author_id" uuid NOT NULL,
	"is_local" boolean NOT NULL,
	"occurred_on" date,
	"text" text NOT NULL,
	"remote_content_html" text,
	"keywords" text[] DEFAULT '{}' NOT NULL,
	"visibility" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"photo" jsonb,
	"in_reply_to" text,
	"likes_count" integer DEFAULT 0 NOT NULL,
	"announces_count" integer DEFAULT 0 NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"encounter_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"read_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "auto_cosign_from_followed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "encounter_participants" ADD CONSTRAINT "encounter_participants_encounter_id_encounters_id_fk" FOREIGN KEY ("encounter_id") REFERENCES "public"."encounters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "encounter_participants" ADD CONSTRAINT "encounter_participants_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."actors"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "encounter_reactions" ADD CONSTRAINT "encounter_reactions_encounter_id_encounters_id_fk" FOREIGN KEY ("encounter_id") REFERENCES "public"."encounters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "encounters" ADD CONSTRAINT "encounters_author_id_actors_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_encounter_id_encounters_id_fk" FOREIGN KEY ("encounter_id") REFERENCES "public"."encounters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "encounter_participants_encounter_idx" ON "encounter_participants" USING btree ("encounter_id","position");--> statement-breakpoint
CREATE INDEX "encounter_participants_actor_idx" ON "encounter_participants" USING btree ("actor_id");--> statement-breakpoint
CREATE UNIQUE INDEX "encounter_reactions_activity_idx" ON "encounter_reactions" USING btree ("activity_iri");--> statement-breakpoint
CREATE UNIQUE INDEX "encounter_reactions_once_idx" ON "encounter_reactions" USING btree ("encounter_id","actor_iri","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "encounters_iri_idx" ON "encounters" USING btree ("iri");--> statement-breakpoint
CREATE INDEX "encounters_author_idx" ON "encounters" USING btree ("author_id","published_at");--> statement-breakpoint
CREATE INDEX "encounters_published_idx" ON "encounters" USING btree ("published_at");--> statement-breakpoint
CREATE INDEX "notifications_member_idx" ON "notifications" USING btree ("member_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_once_idx" ON "notifications" USING btree ("member_id","kind","encounter_id");