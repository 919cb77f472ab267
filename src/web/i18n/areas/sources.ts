import { area } from '../area.ts';

/** The console's sources pages. */
export const sources = area({}, {});
