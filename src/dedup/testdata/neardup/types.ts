/** One original article of the evaluation set. */
export interface BaseArticle {
  id: string;
  /** Articles with the same story are the same news (reposts and rewrites); everything else is not. */
  story: string;
  /** Where the article comes from and which hard negatives it belongs to ("template:repo", "company:moutai", …). */
  group: string;
  /** Publication day (YYYY-MM-DD) when it matters (template reports). */
  date?: string;
  title: string;
  paragraphs: string[];
}
