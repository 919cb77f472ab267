import { area } from '../area.ts';

/** The console's reports pages. */
export const reports = area({}, {});
