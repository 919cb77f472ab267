-- Dedup keys carry the article's time instead of a time bucket salted into the key (and the SimHash bands join
-- them): the old keys cannot be converted, so they are dropped here and the dedup stage re-keys the articles of
-- its window on its next run (`rekeyWindow` in src/dedup/run.ts).
DELETE FROM "article_dedup_keys";--> statement-breakpoint
DROP INDEX "articles_band0_idx";--> statement-breakpoint
DROP INDEX "articles_band1_idx";--> statement-breakpoint
DROP INDEX "articles_band2_idx";--> statement-breakpoint
DROP INDEX "articles_band3_idx";--> statement-breakpoint
ALTER TABLE "article_dedup_keys" DROP CONSTRAINT "article_dedup_keys_key_article_id_pk";--> statement-breakpoint
ALTER TABLE "article_dedup_keys" ADD COLUMN "effective_at" timestamp with time zone NOT NULL;--> statement-breakpoint
ALTER TABLE "article_dedup_keys" ADD CONSTRAINT "article_dedup_keys_key_effective_at_article_id_pk" PRIMARY KEY("key","effective_at","article_id");
