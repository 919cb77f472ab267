/** What one process is using now, read from `/proc` (Linux): resident memory and CPU time so far. */
import { readFileSync } from 'node:fs';

/** Resident memory (VmRSS) in MB; NaN when the line is missing. */
export const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

/** CPU time (user + system, all threads) the process has used, in ms. */
export const cpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
};
