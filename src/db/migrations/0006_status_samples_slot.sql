DROP INDEX "status_samples_metric_at_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "status_samples_metric_at_key" ON "status_samples" USING btree ("metric","at");--> statement-breakpoint
CREATE INDEX "status_samples_at_idx" ON "status_samples" USING btree ("at");