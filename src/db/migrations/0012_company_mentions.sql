CREATE TABLE "company_mentions" (
	"company" text NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	"story_id" bigint NOT NULL,
	"extraction_id" bigint NOT NULL,
	"category" text NOT NULL,
	"sentiment" text NOT NULL,
	"score" real NOT NULL,
	CONSTRAINT "company_mentions_company_first_seen_at_story_id_extraction_id_pk" PRIMARY KEY("company","first_seen_at","story_id","extraction_id")
);
--> statement-breakpoint
ALTER TABLE "company_mentions" ADD CONSTRAINT "company_mentions_extraction_id_extractions_id_fk" FOREIGN KEY ("extraction_id") REFERENCES "public"."extractions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "company_mentions_extraction_idx" ON "company_mentions" USING btree ("extraction_id");--> statement-breakpoint
CREATE INDEX "extractions_category_idx" ON "extractions" USING btree (("result" ->> 'category'),("result" ->> 'sentiment'),"article_id");--> statement-breakpoint
CREATE INDEX "extractions_sentiment_idx" ON "extractions" USING btree (("result" ->> 'sentiment'),"article_id");--> statement-breakpoint
-- company_mentions is kept by triggers (why: src/db/schema/articles.ts) from this view: the mentions each
-- extraction makes, from its facts and its article's story. Keys are a company's ticker and its name; a malformed
-- entity or score gives no row or a score of 0 (clamped to -1…1), never an error in the extract stage.
CREATE VIEW company_mention_rows AS
  SELECT DISTINCT k.company, c.first_seen_at, c.id AS story_id, x.id AS extraction_id,
    coalesce(x.result ->> 'category', '') AS category, coalesce(x.result ->> 'sentiment', '') AS sentiment,
    CASE WHEN jsonb_typeof(x.result -> 'sentiment_score') = 'number'
      THEN greatest(-1, least(1, (x.result ->> 'sentiment_score')::numeric))::real ELSE 0 END AS score,
    x.article_id
  FROM extractions x
  JOIN articles a ON a.id = x.article_id
  JOIN story_clusters c ON c.id = a.cluster_id
  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(x.result -> 'entities' -> 'companies') = 'array'
    THEN x.result -> 'entities' -> 'companies' ELSE '[]'::jsonb END) e
  CROSS JOIN LATERAL (VALUES (e ->> 'ticker'), (e ->> 'name')) k(company)
  WHERE jsonb_typeof(e) = 'object' AND coalesce(k.company, '') <> '';
--> statement-breakpoint
CREATE FUNCTION finrep_extraction_mentions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO company_mentions (company, first_seen_at, story_id, extraction_id, category, sentiment, score)
  SELECT company, first_seen_at, story_id, extraction_id, category, sentiment, score FROM company_mention_rows
  WHERE extraction_id IN (SELECT id FROM new_rows);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER extractions_mentions_insert AFTER INSERT ON extractions REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION finrep_extraction_mentions();
--> statement-breakpoint
CREATE FUNCTION finrep_article_story_mentions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM company_mentions WHERE extraction_id IN (SELECT id FROM extractions WHERE article_id = NEW.id);
  INSERT INTO company_mentions (company, first_seen_at, story_id, extraction_id, category, sentiment, score)
  SELECT company, first_seen_at, story_id, extraction_id, category, sentiment, score FROM company_mention_rows
  WHERE article_id = NEW.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER articles_story_mentions AFTER UPDATE OF cluster_id ON articles
  FOR EACH ROW WHEN (OLD.cluster_id IS DISTINCT FROM NEW.cluster_id) EXECUTE FUNCTION finrep_article_story_mentions();
--> statement-breakpoint
INSERT INTO company_mentions (company, first_seen_at, story_id, extraction_id, category, sentiment, score)
  SELECT company, first_seen_at, story_id, extraction_id, category, sentiment, score FROM company_mention_rows;
