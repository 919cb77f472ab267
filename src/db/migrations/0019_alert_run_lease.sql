CREATE TABLE "alert_run_skips" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"run_id" integer NOT NULL,
	"worker" text,
	"job_id" text
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "lease_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "alert_run_skips" ADD CONSTRAINT "alert_run_skips_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_run_skips_run_idx" ON "alert_run_skips" USING btree ("run_id");