CREATE TABLE "member_likes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"object_iri" text NOT NULL,
	"activity_iri" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "member_likes" ADD CONSTRAINT "member_likes_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "member_likes_activity_idx" ON "member_likes" USING btree ("activity_iri");--> statement-breakpoint
CREATE UNIQUE INDEX "member_likes_once_idx" ON "member_likes" USING btree ("member_id","object_iri");