DROP INDEX "queue_jobs_ordering_idx";--> statement-breakpoint
CREATE INDEX "queue_jobs_ordering_idx" ON "queue_jobs" USING btree ("queue","ordering_key","id");