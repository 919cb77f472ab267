/** TEMPORARY STUB (demo-world engineer): replaced by the industry articles' author. */
import type { DemoArticle } from './types.ts';

/** Industry articles (none yet). */
export const industryArticles: DemoArticle[] = [];
