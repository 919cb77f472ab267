-- The statement trigger of 0012 on extractions selected the new rows' mentions from company_mention_rows with
-- `extraction_id IN (SELECT id FROM new_rows)`: a semi-join PostgreSQL cannot push below the view's DISTINCT,
-- so every insert built the mentions of every extraction ever stored — 5.4 s an insert beside the console
-- benchmark's 100,000-article history (bench:load), where the extract stage crawled. The ids are now read
-- first and the view filtered by `= ANY` of that array, which goes down to the extractions' primary key.
CREATE OR REPLACE FUNCTION finrep_extraction_mentions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[] := ARRAY(SELECT id FROM new_rows);
BEGIN
  INSERT INTO company_mentions (company, first_seen_at, story_id, extraction_id, category, sentiment, score)
  SELECT company, first_seen_at, story_id, extraction_id, category, sentiment, score FROM company_mention_rows
  WHERE extraction_id = ANY (ids);
  RETURN NULL;
END $$;
