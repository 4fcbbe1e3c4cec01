CREATE TABLE "account_blocks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"blocker_id" uuid NOT NULL,
	"target_id" uuid NOT NULL,
	"activity_iri" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "account_mutes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"member_actor_id" uuid NOT NULL,
	"target_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "member_domain_blocks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"member_actor_id" uuid NOT NULL,
	"domain" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reporter_id" uuid NOT NULL,
	"target_id" uuid NOT NULL,
	"encounter_id" uuid,
	"reply_id" uuid,
	"category" text NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"forwarded" boolean DEFAULT false NOT NULL,
	"flag_activity_iri" text,
	"state" text DEFAULT 'open' NOT NULL,
	"resolved_by" uuid,
	"resolved_at" timestamp with time zone,
	"resolution_note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "encounter_participants" ADD COLUMN "hidden" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "account_blocks" ADD CONSTRAINT "account_blocks_blocker_id_actors_id_fk" FOREIGN KEY ("blocker_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_blocks" ADD CONSTRAINT "account_blocks_target_id_actors_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_mutes" ADD CONSTRAINT "account_mutes_member_actor_id_actors_id_fk" FOREIGN KEY ("member_actor_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_mutes" ADD CONSTRAINT "account_mutes_target_id_actors_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_domain_blocks" ADD CONSTRAINT "member_domain_blocks_member_actor_id_actors_id_fk" FOREIGN KEY ("member_actor_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_reporter_id_actors_id_fk" FOREIGN KEY ("reporter_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_target_id_actors_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_encounter_id_encounters_id_fk" FOREIGN KEY ("encounter_id") REFERENCES "public"."encounters"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_reply_id_encounter_replies_id_fk" FOREIGN KEY ("reply_id") REFERENCES "public"."encounter_replies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_resolved_by_members_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."members"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "account_blocks_pair_idx" ON "account_blocks" USING btree ("blocker_id","target_id");--> statement-breakpoint
CREATE INDEX "account_blocks_target_idx" ON "account_blocks" USING btree ("target_id");--> statement-breakpoint
CREATE UNIQUE INDEX "account_mutes_pair_idx" ON "account_mutes" USING btree ("member_actor_id","target_id");--> statement-breakpoint
CREATE UNIQUE INDEX "member_domain_blocks_pair_idx" ON "member_domain_blocks" USING btree ("member_actor_id","domain");--> statement-breakpoint
CREATE INDEX "reports_state_idx" ON "reports" USING btree ("state","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "reports_flag_idx" ON "reports" USING btree ("flag_activity_iri");