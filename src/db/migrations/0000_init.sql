CREATE TABLE "source_fetches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source_id" integer NOT NULL,
	"run_id" integer,
	"started_at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"http_status" integer,
	"duration_ms" integer NOT NULL,
	"bytes" integer DEFAULT 0 NOT NULL,
	"items" integer DEFAULT 0 NOT NULL,
	"new_items" integer DEFAULT 0 NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" serial PRIMARY KEY NOT NULL,
	"key" text,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"url" text NOT NULL,
	"rules" jsonb,
	"weight" real DEFAULT 1 NOT NULL,
	"timezone" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"allow_private" boolean DEFAULT false NOT NULL,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"etag" text,
	"last_modified" text,
	"last_fetch_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"next_attempt_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sources_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "article_dedup_keys" (
	"key" integer NOT NULL,
	"article_id" bigint NOT NULL,
	CONSTRAINT "article_dedup_keys_key_article_id_pk" PRIMARY KEY("key","article_id")
);
--> statement-breakpoint
CREATE TABLE "articles" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source_id" integer NOT NULL,
	"url" text NOT NULL,
	"canonical_url" text NOT NULL,
	"url_hash" text NOT NULL,
	"guid" text,
	"title" text NOT NULL,
	"summary" text,
	"content" text,
	"author" text,
	"published_at" timestamp with time zone,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"effective_at" timestamp with time zone NOT NULL,
	"content_hash" text NOT NULL,
	"simhash" bigint NOT NULL,
	"band0" integer NOT NULL,
	"band1" integer NOT NULL,
	"band2" integer NOT NULL,
	"band3" integer NOT NULL,
	"dedup_numbers" text[] DEFAULT '{}'::text[] NOT NULL,
	"cluster_id" bigint
);
--> statement-breakpoint
CREATE TABLE "extractions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"article_id" bigint NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"prompt_version" text NOT NULL,
	"content_hash" text NOT NULL,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "llm_usage" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"edition_id" integer,
	"article_id" bigint,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"purpose" text DEFAULT 'extract' NOT NULL,
	"prompt_tokens" integer DEFAULT 0 NOT NULL,
	"cached_tokens" integer DEFAULT 0 NOT NULL,
	"completion_tokens" integer DEFAULT 0 NOT NULL,
	"latency_ms" integer DEFAULT 0 NOT NULL,
	"outcome" text NOT NULL,
	"error" text,
	"cost" numeric(14, 6) DEFAULT '0' NOT NULL,
	"currency" text DEFAULT 'CNY' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "story_clusters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"representative_id" bigint,
	"title" text NOT NULL,
	"size" integer DEFAULT 1 NOT NULL,
	"article_count" integer DEFAULT 1 NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "editions" (
	"id" serial PRIMARY KEY NOT NULL,
	"date" date NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"window_from" timestamp with time zone NOT NULL,
	"window_to" timestamp with time zone NOT NULL,
	"subject" text,
	"html_path" text,
	"text_path" text,
	"xlsx_path" text,
	"webview_path" text,
	"item_count" integer DEFAULT 0 NOT NULL,
	"summary" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"composed_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "editions_date_unique" UNIQUE("date")
);
--> statement-breakpoint
CREATE TABLE "report_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"edition_id" integer NOT NULL,
	"article_id" bigint NOT NULL,
	"cluster_id" bigint,
	"section" text NOT NULL,
	"rank" integer NOT NULL,
	"top" boolean DEFAULT false NOT NULL,
	"score" real NOT NULL,
	"factors" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_stages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"stage" text NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"duration_ms" integer,
	"counts" jsonb,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"edition_id" integer,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"summary" jsonb,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "delivery_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"edition_id" integer NOT NULL,
	"recipient_id" integer NOT NULL,
	"email" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"transport" text,
	"message_id" text,
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
CREATE TABLE "recipients" (
	"id" serial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text,
	"groups" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"unsubscribed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "recipients_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text
);
--> statement-breakpoint
CREATE TABLE "status_samples" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"metric" text NOT NULL,
	"value" double precision NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text DEFAULT 'viewer' NOT NULL,
	"failed_logins" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"last_login_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_username_unique" UNIQUE("username")
);
--> statement-breakpoint
ALTER TABLE "source_fetches" ADD CONSTRAINT "source_fetches_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_dedup_keys" ADD CONSTRAINT "article_dedup_keys_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "articles" ADD CONSTRAINT "articles_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "articles" ADD CONSTRAINT "articles_cluster_id_story_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."story_clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extractions" ADD CONSTRAINT "extractions_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_items" ADD CONSTRAINT "report_items_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_items" ADD CONSTRAINT "report_items_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_stages" ADD CONSTRAINT "run_stages_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivery_log" ADD CONSTRAINT "delivery_log_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivery_log" ADD CONSTRAINT "delivery_log_recipient_id_recipients_id_fk" FOREIGN KEY ("recipient_id") REFERENCES "public"."recipients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "source_fetches_source_idx" ON "source_fetches" USING btree ("source_id","started_at");--> statement-breakpoint
CREATE INDEX "article_dedup_keys_article_idx" ON "article_dedup_keys" USING btree ("article_id");--> statement-breakpoint
CREATE UNIQUE INDEX "articles_url_hash_uq" ON "articles" USING btree ("url_hash");--> statement-breakpoint
CREATE INDEX "articles_effective_at_idx" ON "articles" USING btree ("effective_at");--> statement-breakpoint
CREATE INDEX "articles_source_content_idx" ON "articles" USING btree ("source_id","content_hash");--> statement-breakpoint
CREATE INDEX "articles_cluster_idx" ON "articles" USING btree ("cluster_id");--> statement-breakpoint
CREATE INDEX "articles_band0_idx" ON "articles" USING btree ("band0","effective_at");--> statement-breakpoint
CREATE INDEX "articles_band1_idx" ON "articles" USING btree ("band1","effective_at");--> statement-breakpoint
CREATE INDEX "articles_band2_idx" ON "articles" USING btree ("band2","effective_at");--> statement-breakpoint
CREATE INDEX "articles_band3_idx" ON "articles" USING btree ("band3","effective_at");--> statement-breakpoint
CREATE UNIQUE INDEX "extractions_article_uq" ON "extractions" USING btree ("article_id","provider","prompt_version");--> statement-breakpoint
CREATE INDEX "extractions_cache_idx" ON "extractions" USING btree ("content_hash","prompt_version","model");--> statement-breakpoint
CREATE INDEX "llm_usage_created_idx" ON "llm_usage" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "llm_usage_edition_idx" ON "llm_usage" USING btree ("edition_id");--> statement-breakpoint
CREATE UNIQUE INDEX "report_items_edition_article_uq" ON "report_items" USING btree ("edition_id","article_id");--> statement-breakpoint
CREATE UNIQUE INDEX "run_stages_run_stage_uq" ON "run_stages" USING btree ("run_id","stage");--> statement-breakpoint
CREATE INDEX "runs_started_idx" ON "runs" USING btree ("started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "delivery_log_edition_recipient_uq" ON "delivery_log" USING btree ("edition_id","recipient_id");--> statement-breakpoint
CREATE INDEX "delivery_log_status_idx" ON "delivery_log" USING btree ("status");--> statement-breakpoint
CREATE INDEX "delivery_log_edition_status_idx" ON "delivery_log" USING btree ("edition_id","status");--> statement-breakpoint
CREATE INDEX "delivery_log_pending_idx" ON "delivery_log" USING btree ("edition_id","id") WHERE status in ('queued', 'retrying');--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "status_samples_metric_at_idx" ON "status_samples" USING btree ("metric","at");