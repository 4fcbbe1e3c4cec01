ALTER TABLE "members" ADD COLUMN "avatar_media_key" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "header_url" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "header_media_key" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "fields" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "profile_updated_at" timestamp with time zone;