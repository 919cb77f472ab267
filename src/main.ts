import { Command, CommanderError } from 'commander';
import { registerFakeLlm } from './cli/fake-llm.ts';
import { registerLists } from './cli/lists.ts';
import { registerRecipients } from './cli/recipients.ts';
import { registerSmtpTest } from './cli/smtp-test.ts';
import { registerDeliveries } from './cli/deliveries.ts';
import { registerMigrate } from './cli/migrate.ts';
import { registerRun } from './cli/run.ts';
import { registerExtractText } from './cli/extract-text.ts';
import { registerDedup } from './cli/dedup.ts';
import { registerProcesses } from './cli/processes.ts';

/** The finrep command; every error ends as one line on stderr and a non-zero exit. */
const program = new Command('finrep')
  .description('金融情报日报系统 — financial-intelligence daily report')
  .version('0.1.0')
  .exitOverride()
  .showSuggestionAfterError();

registerRun(program);
registerProcesses(program);
registerMigrate(program);
registerLists(program);
registerRecipients(program);
registerSmtpTest(program);
registerDeliveries(program);
registerFakeLlm(program);
registerExtractText(program);
registerDedup(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else {
    const e = err as Error;
    const label = e.name === 'ConfigError' ? 'configuration error' : e.name === 'DatabaseError' ? 'database error' : 'error';
    process.stderr.write(`finrep: ${label}: ${oneLine(e.message)}\n`);
    if (process.env.FINREP_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exitCode = e.name === 'ConfigError' ? 2 : 1;
  }
}

// Open handles (a pooled socket, a timer in a library) must not keep a finished command alive.
setTimeout(() => process.exit(), 2000).unref();

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').slice(0, 500);
}
