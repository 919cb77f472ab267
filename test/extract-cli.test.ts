import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractionSchema } from '../src/extract/schema.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');

describe('finrep fake-llm', () => {
  it('serves the chat API on 127.0.0.1 until SIGINT, then exits 0', async () => {
    const child = spawn(process.execPath, [BIN, 'fake-llm', '--port', '0', '--style', 'qwen'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setInterval(() => {
          const m = /on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(stderr);
          if (m) {
            clearInterval(t);
            resolve(m[1]!);
          }
        }, 50);
        void exited.then(() => {
          clearInterval(t);
          reject(new Error(`exited early: ${stderr}`));
        });
      });
      const res = await fetch(`${url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        body: JSON.stringify({
          model: 'qwen-max',
          messages: [
            {
              role: 'user',
              content:
                '<title>比亚迪10月销量创新高</title>\n<text>\n比亚迪（002594）公告，10月新能源汽车销量50万辆，同比增长66%。\n</text>',
            },
          ],
        }),
      });
      const body = (await res.json()) as {
        choices: { message: { content: string } }[];
        usage: { prompt_tokens_details: { cached_tokens: number } };
      };
      expect(extractionSchema.parse(JSON.parse(body.choices[0]!.message.content)).entities.companies).toContainEqual({
        name: '比亚迪',
        ticker: '002594.SZ',
      });
      expect(body.usage.prompt_tokens_details.cached_tokens).toBe(0);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('fake LLM stopped after 1 requests');
  }, 60_000);

  it('rejects an unknown failure mode in one line', async () => {
    const child = spawn(process.execPath, [BIN, 'fake-llm', '--fail', 'explode'], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/expected one of rate_limit, server_error, hang/);
  }, 60_000);
});
