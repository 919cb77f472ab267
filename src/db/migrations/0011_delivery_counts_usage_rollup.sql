CREATE TABLE "delivery_counts" (
	"edition_id" integer NOT NULL,
	"status" text NOT NULL,
	"n" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "delivery_counts_edition_id_status_pk" PRIMARY KEY("edition_id","status")
);
--> statement-breakpoint
CREATE TABLE "llm_usage_rollup" (
	"bucket" timestamp with time zone NOT NULL,
	"provider" text NOT NULL,
	"edition_id" integer,
	"calls" integer DEFAULT 0 NOT NULL,
	"prompt_tokens" bigint DEFAULT 0 NOT NULL,
	"cached_tokens" bigint DEFAULT 0 NOT NULL,
	"completion_tokens" bigint DEFAULT 0 NOT NULL,
	"cost" numeric(18, 6) DEFAULT '0' NOT NULL,
	CONSTRAINT "llm_usage_rollup_key" UNIQUE NULLS NOT DISTINCT("bucket","provider","edition_id")
);
--> statement-breakpoint
ALTER TABLE "delivery_counts" ADD CONSTRAINT "delivery_counts_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "llm_usage_rollup_edition_idx" ON "llm_usage_rollup" USING btree ("edition_id");--> statement-breakpoint
-- delivery_counts and llm_usage_rollup are kept by statement triggers (why: src/db/schema/rollups.ts). A
-- statement's rows are summed first, then applied in key order (ON CONFLICT adds): a 10,000-row insert is one
-- upsert per status, and two statements take the counters' locks in the same order. Rows deleted with their
-- edition (cascade) leave no counter behind: the edition's counters went with it.
CREATE FUNCTION finrep_delivery_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO delivery_counts AS c (edition_id, status, n)
    SELECT edition_id, status, count(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (edition_id, status) DO UPDATE SET n = c.n + excluded.n;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO delivery_counts AS c (edition_id, status, n)
    SELECT edition_id, status, sum(d) FROM (
      SELECT edition_id, status, 1 AS d FROM new_rows
      UNION ALL
      SELECT edition_id, status, -1 AS d FROM old_rows
    ) x GROUP BY 1, 2 HAVING sum(d) <> 0 ORDER BY 1, 2
    ON CONFLICT (edition_id, status) DO UPDATE SET n = c.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO delivery_counts AS c (edition_id, status, n)
    SELECT edition_id, status, -count(*) FROM old_rows WHERE edition_id IN (SELECT id FROM editions)
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (edition_id, status) DO UPDATE SET n = c.n + excluded.n;
  ELSE
    DELETE FROM delivery_counts;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER delivery_counts_insert AFTER INSERT ON delivery_log REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION finrep_delivery_counts();
--> statement-breakpoint
CREATE TRIGGER delivery_counts_update AFTER UPDATE ON delivery_log REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION finrep_delivery_counts();
--> statement-breakpoint
CREATE TRIGGER delivery_counts_delete AFTER DELETE ON delivery_log REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION finrep_delivery_counts();
--> statement-breakpoint
CREATE TRIGGER delivery_counts_truncate AFTER TRUNCATE ON delivery_log
  FOR EACH STATEMENT EXECUTE FUNCTION finrep_delivery_counts();
--> statement-breakpoint
INSERT INTO delivery_counts (edition_id, status, n) SELECT edition_id, status, count(*) FROM delivery_log GROUP BY 1, 2;
--> statement-breakpoint
CREATE FUNCTION finrep_llm_usage_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  src text := CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT *, 1 AS d FROM new_rows'
    WHEN 'DELETE' THEN 'SELECT *, -1 AS d FROM old_rows'
    ELSE 'SELECT *, 1 AS d FROM new_rows UNION ALL SELECT *, -1 AS d FROM old_rows' END;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM llm_usage_rollup;
    RETURN NULL;
  END IF;
  EXECUTE format($q$
    INSERT INTO llm_usage_rollup AS r
      (bucket, provider, edition_id, calls, prompt_tokens, cached_tokens, completion_tokens, cost)
    SELECT date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00:00+00'), provider, edition_id, sum(d),
      sum(d * prompt_tokens), sum(d * cached_tokens), sum(d * completion_tokens), sum(d * cost)
    FROM (%s) x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (bucket, provider, edition_id) DO UPDATE SET calls = r.calls + excluded.calls,
      prompt_tokens = r.prompt_tokens + excluded.prompt_tokens, cached_tokens = r.cached_tokens + excluded.cached_tokens,
      completion_tokens = r.completion_tokens + excluded.completion_tokens, cost = r.cost + excluded.cost$q$, src);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER llm_usage_rollup_insert AFTER INSERT ON llm_usage REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION finrep_llm_usage_rollup();
--> statement-breakpoint
CREATE TRIGGER llm_usage_rollup_update AFTER UPDATE ON llm_usage REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION finrep_llm_usage_rollup();
--> statement-breakpoint
CREATE TRIGGER llm_usage_rollup_delete AFTER DELETE ON llm_usage REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION finrep_llm_usage_rollup();
--> statement-breakpoint
CREATE TRIGGER llm_usage_rollup_truncate AFTER TRUNCATE ON llm_usage
  FOR EACH STATEMENT EXECUTE FUNCTION finrep_llm_usage_rollup();
--> statement-breakpoint
INSERT INTO llm_usage_rollup (bucket, provider, edition_id, calls, prompt_tokens, cached_tokens, completion_tokens, cost)
SELECT date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00:00+00'), provider, edition_id, count(*),
  sum(prompt_tokens), sum(cached_tokens), sum(completion_tokens), sum(cost)
FROM llm_usage GROUP BY 1, 2, 3;
