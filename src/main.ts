import { Command, CommanderError } from 'commander';
import { describeError } from './cli/errors.ts';
import { tunePipelineGc } from './lib/gc.ts';

// Libraries' production builds (React's server renderer is half the size and faster without its development
// checks): set before any command module loads them. An explicit NODE_ENV (a developer's) is kept.
process.env.NODE_ENV ??= 'production';

/** The finrep command; every error ends as one line on stderr and a non-zero exit. */
const program = new Command('finrep')
  .description('金融情报日报系统 — financial-intelligence daily report')
  .version('0.1.0')
  .exitOverride()
  .showSuggestionAfterError();

type Register = (program: Command) => void;

/**
 * Each command's module, by command name. Only the invoked command's module is loaded (the others pull in
 * React, jieba, nodemailer … and would make every start slow); help and unknown commands load them all.
 */
const MODULES: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./cli/run.ts')).registerRun,
  worker: async () => (await import('./cli/processes.ts')).registerProcesses,
  beat: async () => (await import('./cli/processes.ts')).registerProcesses,
  start: async () => (await import('./cli/processes.ts')).registerProcesses,
  migrate: async () => (await import('./cli/migrate.ts')).registerMigrate,
  sources: async () => (await import('./cli/sources.ts')).registerSources,
  recipients: async () => (await import('./cli/recipients.ts')).registerRecipients,
  'smtp-test': async () => (await import('./cli/smtp-test.ts')).registerSmtpTest,
  deliver: async () => (await import('./cli/deliveries.ts')).registerDeliveries,
  deliveries: async () => (await import('./cli/deliveries.ts')).registerDeliveries,
  'fake-llm': async () => (await import('./cli/fake-llm.ts')).registerFakeLlm,
  'demo-world': async () => (await import('./cli/demo-world.ts')).registerDemoWorld,
  'extract-text': async () => (await import('./cli/extract-text.ts')).registerExtractText,
  dedup: async () => (await import('./cli/dedup.ts')).registerDedup,
  web: async () => (await import('./cli/web.ts')).registerWeb,
  user: async () => (await import('./cli/user.ts')).registerUser,
  token: async () => (await import('./cli/token.ts')).registerToken,
  backup: async () => (await import('./cli/backup.ts')).registerBackup,
  restore: async () => (await import('./cli/backup.ts')).registerBackup,
  seed: async () => (await import('./cli/seed.ts')).registerSeed,
  queue: async () => (await import('./cli/queue.ts')).registerQueue,
  health: async () => (await import('./cli/health.ts')).registerHealth,
  alerts: async () => (await import('./cli/alerts.ts')).registerAlerts,
  channels: async () => (await import('./cli/channels.ts')).registerChannels,
};

const invoked = process.argv.slice(2).find((a) => !a.startsWith('-'));
// The commands that run the pipeline, and the web server, keep their heap near its live set and collect when
// they allocate, not while they await I/O (src/lib/gc.ts): under steady load the web process's heap otherwise
// grows to 4x its ~40 MB live set (docs/benchmarks-web.md).
if (invoked === 'worker' || invoked === 'start' || invoked === 'run' || invoked === 'web')
  tunePipelineGc([...process.execArgv, process.env.NODE_OPTIONS ?? '']);
const loaders = invoked && MODULES[invoked] ? [MODULES[invoked]] : Object.values(MODULES);
const registered = new Set<Register>();
for (const load of loaders) {
  const register = await load();
  if (registered.has(register)) continue;
  registered.add(register);
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else {
    const line = describeError(err);
    process.stderr.write(`finrep: ${line.label}: ${line.message}\n`);
    if (process.env.FINREP_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = line.exitCode;
  }
}

// Open handles (a pooled socket, a timer in a library) must not keep a finished command alive.
setTimeout(() => process.exit(), 2000).unref();
