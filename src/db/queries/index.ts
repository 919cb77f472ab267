/** All SQL of finrep, as named functions, one file per entity. */
export * as sourcesQ from './sources.ts';
export * as articlesQ from './articles.ts';
export * as dedupIndexQ from './dedup-index.ts';
export * as extractionsQ from './extractions.ts';
export * as editionsQ from './editions.ts';
export * as recipientsQ from './recipients.ts';
export * as deliveriesQ from './deliveries.ts';
export * as runsQ from './runs.ts';
export * as settingsQ from './settings.ts';
export * as llmUsageQ from './llm-usage.ts';
export * as storiesQ from './stories.ts';
export * as housekeepingQ from './housekeeping.ts';
export * as alertsQ from './alerts.ts';
export * as channelsQ from './channels.ts';
