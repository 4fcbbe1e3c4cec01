CREATE TABLE "tracker_link_requests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"actor_iri" text NOT NULL,
	"note_iri" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tracker_link_requests" ADD CONSTRAINT "tracker_link_requests_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "tracker_link_requests_note_idx" ON "tracker_link_requests" USING btree ("note_iri");--> statement-breakpoint
CREATE INDEX "tracker_link_requests_member_idx" ON "tracker_link_requests" USING btree ("member_id","requested_at");