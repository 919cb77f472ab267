CREATE TABLE "ops_alert_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"subject" text NOT NULL,
	"message" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"reason" text,
	"targets" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolve_message" text,
	"resolve_status" text,
	"resolve_targets" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ops_alert_log_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE INDEX "ops_alert_log_open_idx" ON "ops_alert_log" USING btree ("id") WHERE resolved_at is null;--> statement-breakpoint
CREATE INDEX "ops_alert_log_opened_idx" ON "ops_alert_log" USING btree ("opened_at");