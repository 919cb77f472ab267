import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { isIsoDate } from '../lib/time.ts';
import { editionWindow, todayEdition } from '../pipeline/window.ts';
import { CliError } from './errors.ts';

interface DemoWorldFlags {
  port: number;
  host: string;
  baseUrl?: string;
  date?: string;
}

const port = (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('expected a port number');
  return Number(v);
};

/**
 * `finrep demo-world`: the demo world's feeds and sites as a server of their own, so that workers in other
 * processes or containers can collect it (`finrep run --demo` starts one inside itself instead). Point the demo
 * sources at it with `finrep seed --demo --demo-url <its base URL>`.
 *
 * @example finrep demo-world --host 0.0.0.0 --port 8090 --base-url http://demo:8090
 */
export function registerDemoWorld(program: Command): void {
  program
    .command('demo-world')
    .description("serve the demo world's feeds and sites for workers elsewhere (compose, tests)")
    .option('--port <n>', 'port', port, 8090)
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--base-url <url>', 'the URL the collectors use to reach it (default http://127.0.0.1:PORT)')
    .option('--date <YYYY-MM-DD>', "the edition whose window the articles fall in (default: today's)")
    .action(async (flags: DemoWorldFlags) => {
      const [{ loadConfig }, { startDemoWorld }] = await Promise.all([
        import('../config/index.ts'),
        import('../demo/index.ts'),
      ]);
      const config = loadConfig();
      const now = new Date();
      const date = flags.date ?? todayEdition(now, config.timeZone);
      if (!isIsoDate(date)) throw new CliError(`--date: expected YYYY-MM-DD, got "${date}"`);
      if (flags.baseUrl && !/^https?:\/\/[^/\s]+/.test(flags.baseUrl))
        throw new CliError(`--base-url: expected http(s)://host[:port], got "${flags.baseUrl}"`);
      const { to } = editionWindow(date, {
        timeZone: config.timeZone,
        cutoff: config.report.cutoff,
        windowHours: config.report.windowHours,
      });
      const anchor = to.getTime() < now.getTime() ? to : now;
      const world = await startDemoWorld({
        anchor,
        port: flags.port,
        host: flags.host,
        baseUrl: flags.baseUrl,
        timezone: config.timeZone,
      });
      process.stderr.write(
        `demo world for edition ${date} on ${flags.host}:${world.port}, reached as ${world.baseUrl} ` +
          `(${world.sources.length} sources) — Ctrl-C to stop\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await world.close();
    });
}
