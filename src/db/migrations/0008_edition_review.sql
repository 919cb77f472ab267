ALTER TABLE "editions" ADD COLUMN "review_run_id" integer;--> statement-breakpoint
ALTER TABLE "editions" ADD COLUMN "review_deadline_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "editions" ADD COLUMN "approved_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "editions" ADD COLUMN "approved_by" text;--> statement-breakpoint
ALTER TABLE "editions" ADD COLUMN "review_edits" jsonb;