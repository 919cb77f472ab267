import { area } from '../area.ts';

/** The console's settings pages. */
export const settings = area({}, {});
