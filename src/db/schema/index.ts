/** The database schema, split by table group. */
export * from './sources.ts';
export * from './articles.ts';
export * from './editions.ts';
export * from './delivery.ts';
export * from './admin.ts';
export * from './rollups.ts';
export * from './channels.ts';
export * from './ops-alerts.ts';
