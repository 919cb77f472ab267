import { area } from '../area.ts';

/** The console's status pages. */
export const status = area({}, {});
