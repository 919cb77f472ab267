import { z } from 'zod';
import { CATEGORIES } from '../domain.ts';
import type { Extraction } from '../domain.ts';

const ticker = z
  .string()
  .regex(/^(\d{6}\.(SH|SZ|BJ)|\d{4,5}\.HK|[A-Z]{1,5}(\.[A-Z])?)$/, 'ticker like 600519.SH, 0700.HK or AAPL');

/** The extraction schema of DESIGN §2; every extractor's output passes through it. */
export const extractionSchema = z.object({
  summary: z.string().min(1).max(120),
  category: z.enum(CATEGORIES),
  event_type: z.string().min(1).max(40),
  sentiment: z.enum(['positive', 'neutral', 'negative']),
  sentiment_score: z.number().min(-1).max(1),
  importance: z.number().int().min(1).max(5),
  entities: z.object({
    companies: z.array(z.object({ name: z.string().min(1), ticker: ticker.nullable() })).max(20),
    people: z.array(z.string().min(1)).max(20),
    institutions: z.array(z.string().min(1)).max(20),
  }),
  keywords: z.array(z.string().min(1)).max(12),
  region: z.enum(['CN', 'HK', 'US', 'global', 'other']),
}) satisfies z.ZodType<Extraction>;
