CREATE TABLE "encounter_private" (
	"encounter_id" uuid PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"others_present" smallint,
	"setting" text,
	"duration_minutes" smallint,
	"distance" text,
	"their_mask" text,
	"my_mask" text,
	"voice" text,
	"satisfying" boolean,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "participant_circles" (
	"participant_id" uuid PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"circle" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tracker_settings" (
	"member_id" uuid PRIMARY KEY NOT NULL,
	"floor" smallint DEFAULT 1 NOT NULL,
	"target" smallint DEFAULT 3 NOT NULL,
	"ceiling_rch" real DEFAULT 10 NOT NULL,
	"distinct_people_limit" smallint DEFAULT 15 NOT NULL,
	"pandemic_mode" boolean DEFAULT false NOT NULL,
	"weekly_incidence" real,
	"test_positivity" real,
	"budget" text DEFAULT 'standard' NOT NULL,
	"question_enabled" boolean DEFAULT true NOT NULL,
	"question_day" smallint DEFAULT 0 NOT NULL,
	"question_hour" smallint DEFAULT 18 NOT NULL,
	"time_zone" text DEFAULT 'Europe/Paris' NOT NULL,
	"linked_account_iri" text,
	"linked_account_confirmed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "weekly_checkins" (
	"member_id" uuid NOT NULL,
	"week_start" date NOT NULL,
	"answer" text NOT NULL,
	"count" integer,
	"source" text NOT NULL,
	"answered_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "weekly_checkins_member_id_week_start_pk" PRIMARY KEY("member_id","week_start")
);
--> statement-breakpoint
CREATE TABLE "weekly_questions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"week_start" date NOT NULL,
	"note_iris" text[] DEFAULT '{}' NOT NULL,
	"asked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "encounter_private" ADD CONSTRAINT "encounter_private_encounter_id_encounters_id_fk" FOREIGN KEY ("encounter_id") REFERENCES "public"."encounters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "encounter_private" ADD CONSTRAINT "encounter_private_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "participant_circles" ADD CONSTRAINT "participant_circles_participant_id_encounter_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."encounter_participants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "participant_circles" ADD CONSTRAINT "participant_circles_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracker_settings" ADD CONSTRAINT "tracker_settings_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "weekly_checkins" ADD CONSTRAINT "weekly_checkins_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "weekly_questions" ADD CONSTRAINT "weekly_questions_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "encounter_private_member_idx" ON "encounter_private" USING btree ("member_id");--> statement-breakpoint
CREATE INDEX "participant_circles_member_idx" ON "participant_circles" USING btree ("member_id");--> statement-breakpoint
CREATE UNIQUE INDEX "weekly_questions_once_idx" ON "weekly_questions" USING btree ("member_id","week_start");