import { area } from '../area.ts';

/** The console's articles pages. */
export const articles = area({}, {});
