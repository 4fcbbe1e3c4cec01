CREATE TABLE "account_exports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"file_key" text,
	"size_bytes" integer,
	"error" text,
	"claimed_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ready_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "account_exports_state_check" CHECK ("account_exports"."state" in ('pending', 'ready', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "follow_imports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"handle" text NOT NULL,
	"line" integer NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"error" text,
	"claimed_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "follow_imports_state_check" CHECK ("follow_imports"."state" in ('pending', 'done', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "also_known_as" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "moved_to" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "moved_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "actors" ADD COLUMN "moved_to" text;--> statement-breakpoint
ALTER TABLE "account_exports" ADD CONSTRAINT "account_exports_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "follow_imports" ADD CONSTRAINT "follow_imports_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_exports_member_idx" ON "account_exports" USING btree ("member_id","created_at");--> statement-breakpoint
CREATE INDEX "account_exports_state_idx" ON "account_exports" USING btree ("state","expires_at");--> statement-breakpoint
CREATE INDEX "follow_imports_member_idx" ON "follow_imports" USING btree ("member_id","state");--> statement-breakpoint
CREATE INDEX "follow_imports_pending_idx" ON "follow_imports" USING btree ("state","created_at");