import type { WebRoute } from '../../deps.ts';
import { articlesCompanies } from './companies.ts';
import { articlesCompany } from './company.ts';
import { articlesCompanyTrend } from './company-trend.ts';
import { articlesList } from './list.ts';
import { articlesStory } from './story.ts';
import { articlesWords } from './words.ts';
import { articlesWordsKeywords } from './words-keywords.ts';

/** The console's articles pages and actions: one file per page or action, listed here in order. */
export const articlesRoutes: WebRoute[] = [
  articlesList,
  articlesStory,
  articlesCompanies,
  articlesCompany,
  articlesCompanyTrend,
  articlesWords,
  articlesWordsKeywords,
];
