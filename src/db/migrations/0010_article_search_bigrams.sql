-- Faster search bigrams (see src/db/queries/console-articles.ts): the pairs at even and at odd offsets by two
-- linear regex passes instead of substr() at every offset (quadratic in multibyte text); duplicates are left
-- for GIN to drop. Whitespace runs become one space (no bigram holds one); the summary head is 200 characters.
CREATE OR REPLACE FUNCTION finrep_search_text(title text, summary text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN lower(regexp_replace(title || ' ' || left(coalesce(summary, ''), 200), '\s+', ' ', 'g'));
--> statement-breakpoint
CREATE OR REPLACE FUNCTION finrep_bigrams(t text) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ARRAY(
    SELECT m[1] FROM regexp_matches(t, '(..)', 'g') AS m WHERE strpos(m[1], ' ') = 0
    UNION ALL
    SELECT m[1] FROM regexp_matches(substr(t, 2), '(..)', 'g') AS m WHERE strpos(m[1], ' ') = 0
  );
--> statement-breakpoint
REINDEX INDEX articles_search_bigrams_idx;
