import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import type { FakeFailure, UsageStyle } from '../extract/fake-server.ts';

// The server's failure modes, listed here so that registering the command (`finrep --help`) does not load the
// server and the local extractor behind it (jieba): the Record type makes the compiler check it is the same set.
const FAILURE_SET: Record<FakeFailure, true> = {
  rate_limit: true,
  server_error: true,
  hang: true,
  invalid_json: true,
  schema_violation: true,
  empty_choices: true,
};
const FAKE_FAILURES = Object.keys(FAILURE_SET) as FakeFailure[];

interface FakeLlmFlags {
  port: number;
  host: string;
  style: UsageStyle;
  latencyMs: number;
  fail?: FakeFailure;
  failTimes?: number;
  failRate?: number;
  retryAfter: number;
  apiKey?: string;
}

const integer = (min: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
  return Number(v);
};

/**
 * `finrep fake-llm`: a fake OpenAI-compatible server on 127.0.0.1 for trying the LLM chain without keys,
 * e.g. `PROVIDER_DEEPSEEK_API_KEY=x PROVIDER_DEEPSEEK_BASE_URL=http://127.0.0.1:8089/v1 finrep run --demo`.
 */
export function registerFakeLlm(program: Command): void {
  program
    .command('fake-llm')
    .description('serve a fake OpenAI-compatible chat API (tests, demos, benchmarks)')
    .option('--port <n>', 'port', integer(0), 8089)
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option(
      '--style <deepseek|qwen>',
      'usage fields to send',
      (v) => {
        if (v !== 'deepseek' && v !== 'qwen') throw new InvalidArgumentError('expected deepseek or qwen');
        return v;
      },
      'deepseek',
    )
    .option('--latency-ms <n>', 'delay before each answer', integer(0), 0)
    .option('--fail <mode>', `failure mode: ${FAKE_FAILURES.join(' | ')}`, (v) => {
      if (!(FAKE_FAILURES as string[]).includes(v))
        throw new InvalidArgumentError(`expected one of ${FAKE_FAILURES.join(', ')}`);
      return v;
    })
    .option('--fail-times <n>', 'fail only the first N requests', integer(0))
    .option('--fail-rate <r>', 'fail this fraction of requests (0–1)', (v) => {
      const r = Number(v);
      if (!/^\d*\.?\d+$/.test(v) || r > 1) throw new InvalidArgumentError('expected a number from 0 to 1');
      return r;
    })
    .option('--retry-after <sec>', 'Retry-After of a 429', integer(0), 1)
    .option('--api-key <key>', 'accept only this bearer token (others get 401)')
    .action(async (flags: FakeLlmFlags) => {
      const { startFakeLlm } = await import('../extract/fake-server.ts');
      const fake = await startFakeLlm({
        port: flags.port,
        host: flags.host,
        style: flags.style,
        latencyMs: flags.latencyMs,
        failure: flags.fail ?? null,
        failTimes: flags.failTimes,
        failRate: flags.failRate,
        retryAfterSec: flags.retryAfter,
        apiKey: flags.apiKey ?? null,
      });
      process.stderr.write(
        `fake LLM (${flags.style} usage) on ${fake.url}${flags.fail ? ` · failing: ${flags.fail}` : ''} — Ctrl-C to stop\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await fake.close();
      process.stderr.write(`fake LLM stopped after ${fake.requests.length} requests\n`);
    });
}
