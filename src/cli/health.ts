import type { Command } from 'commander';
import { CliError } from './errors.ts';

const ROLES = ['web', 'worker', 'beat'] as const;

/**
 * `finrep health web|worker|beat`: a container HEALTHCHECK (the seed's `celery inspect ping`). Exit 0 with
 * one line on stdout when that process works, 1 with one line on stderr when not. Loads only the probe
 * (src/ops/health-probe.ts): no configuration schema, database or queue library.
 */
export function registerHealth(program: Command): void {
  program
    .command('health')
    .description("check this container's process for a HEALTHCHECK: web (/livez), worker or beat (heartbeat in Redis)")
    .argument('<role>', `the process to check: ${ROLES.join(', ')}`)
    .option('--id <worker>', "worker: this worker id (host:pid) or host's heartbeat (default: this host's)")
    .option('--any', 'worker: any worker with a fresh heartbeat')
    .action(async (role: string, flags: { id?: string; any?: boolean }) => {
      if (!(ROLES as readonly string[]).includes(role))
        throw new CliError(`health: unknown role "${role}" (expected ${ROLES.join(', ')})`);
      const [{ healthProbeSettings }, probe] = await Promise.all([
        import('../config/health-env.ts'),
        import('../ops/health-probe.ts'),
      ]);
      let settings;
      try {
        settings = healthProbeSettings();
      } catch (err) {
        throw new CliError((err as Error).message, { cause: err });
      }
      const result =
        role === 'web'
          ? await probe.probeWeb(settings)
          : role === 'worker'
            ? await probe.probeWorker(settings, { id: flags.id, any: flags.any })
            : await probe.probeBeat(settings);
      (result.ok ? process.stdout : process.stderr).write(`${result.line}\n`);
      process.exitCode = result.ok ? 0 : 1;
    });
}
