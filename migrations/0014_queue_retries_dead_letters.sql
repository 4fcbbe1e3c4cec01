ALTER TABLE "queue_jobs" ADD COLUMN "host" text;--> statement-breakpoint
ALTER TABLE "queue_jobs" ADD COLUMN "dead_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "queue_jobs" ADD COLUMN "last_error" text;--> statement-breakpoint
CREATE INDEX "queue_jobs_host_idx" ON "queue_jobs" USING btree ("queue","host","locked_until");