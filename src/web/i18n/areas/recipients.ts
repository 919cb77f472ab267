import { area } from '../area.ts';

/** The console's recipients pages. */
export const recipients = area({}, {});
