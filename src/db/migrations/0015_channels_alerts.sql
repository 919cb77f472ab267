-- Chat channels (WeCom, Feishu, DingTalk, Telegram, webhook) with their own exactly-once log beside
-- delivery_log, and intraday watch-list alert rules with one alert_log row per rule and story.
CREATE TABLE "alert_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"rule_id" integer NOT NULL,
	"story_id" integer NOT NULL,
	"day" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"reason" text,
	"targets" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"tickers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"companies" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"keywords" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"min_importance" integer DEFAULT 0 NOT NULL,
	"sentiment" text,
	"channel_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"mail_groups" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"quiet_from" text,
	"quiet_to" text,
	"daily_cap" integer DEFAULT 20 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_rules_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "channel_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"edition_id" integer NOT NULL,
	"channel_id" integer NOT NULL,
	"channel_name" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"parts" integer DEFAULT 0 NOT NULL,
	"parts_sent" integer DEFAULT 0 NOT NULL,
	"last_reply" text,
	"reply_code" integer,
	"error" text,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"resends" integer DEFAULT 0 NOT NULL,
	"history" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sending_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"next_attempt_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "channels" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"url_sealed" text NOT NULL,
	"url_host" text NOT NULL,
	"secret_sealed" text,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"group" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channels_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "alert_log" ADD CONSTRAINT "alert_log_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_log" ADD CONSTRAINT "alert_log_story_id_story_clusters_id_fk" FOREIGN KEY ("story_id") REFERENCES "public"."story_clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_log" ADD CONSTRAINT "channel_log_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_log" ADD CONSTRAINT "channel_log_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alert_log_rule_story_uq" ON "alert_log" USING btree ("rule_id","story_id");--> statement-breakpoint
CREATE INDEX "alert_log_rule_day_idx" ON "alert_log" USING btree ("rule_id","day");--> statement-breakpoint
CREATE INDEX "alert_log_story_idx" ON "alert_log" USING btree ("story_id");--> statement-breakpoint
CREATE INDEX "alert_log_pending_idx" ON "alert_log" USING btree ("id") WHERE status in ('queued', 'sending');--> statement-breakpoint
CREATE UNIQUE INDEX "channel_log_edition_channel_uq" ON "channel_log" USING btree ("edition_id","channel_id");--> statement-breakpoint
CREATE INDEX "channel_log_edition_status_idx" ON "channel_log" USING btree ("edition_id","status");--> statement-breakpoint
CREATE INDEX "channel_log_channel_idx" ON "channel_log" USING btree ("channel_id","id");