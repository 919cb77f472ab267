-- The row trigger of 0012 on articles ran its delete and insert for every article dedup puts in a story, though
-- a new article has no extraction yet: ~50 µs a row. One probe of extractions first: ~10 µs.
CREATE OR REPLACE FUNCTION finrep_article_story_mentions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM extractions WHERE article_id = NEW.id) THEN
    DELETE FROM company_mentions WHERE extraction_id IN (SELECT id FROM extractions WHERE article_id = NEW.id);
    INSERT INTO company_mentions (company, first_seen_at, story_id, extraction_id, category, sentiment, score)
    SELECT company, first_seen_at, story_id, extraction_id, category, sentiment, score FROM company_mention_rows
    WHERE article_id = NEW.id;
  END IF;
  RETURN NULL;
END $$;
