CREATE TABLE "direct_messages" (
	"iri" text PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"recipient_iri" text NOT NULL,
	"note" jsonb NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tracker_settings" ADD COLUMN "linked_account_thread_iri" text;--> statement-breakpoint
ALTER TABLE "tracker_settings" ADD COLUMN "acknowledge_with_status" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "direct_messages" ADD CONSTRAINT "direct_messages_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "direct_messages_recipient_idx" ON "direct_messages" USING btree ("recipient_iri","sent_at");