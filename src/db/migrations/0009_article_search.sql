-- Article search for Chinese by bigrams, and stories by company (why: src/db/queries/console-articles.ts).
CREATE FUNCTION finrep_search_text(title text, summary text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN lower(title || ' ' || left(coalesce(summary, ''), 300));
--> statement-breakpoint
CREATE FUNCTION finrep_bigrams(t text) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ARRAY(
    SELECT DISTINCT substr(t, i, 2) FROM generate_series(1, char_length(t) - 1) AS i
    WHERE substr(t, i, 2) !~ '\s'
  );
--> statement-breakpoint
CREATE INDEX "articles_search_bigrams_idx" ON "articles" USING gin (finrep_bigrams(finrep_search_text("title", "summary")));
--> statement-breakpoint
CREATE INDEX "extractions_companies_idx" ON "extractions" USING gin ((("result" -> 'entities') -> 'companies') jsonb_path_ops);
