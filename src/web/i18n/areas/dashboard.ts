import { area } from '../area.ts';

/** The console's dashboard pages. */
export const dashboard = area({}, {});
