/**
 * `REDIS_URL=rediss://:password@…` — a managed Redis's shape: TLS and a password — against a private
 * redis-server with TLS and a self-signed certificate (trusted through NODE_EXTRA_CA_CERTS, as an operator
 * would add a provider's CA). `finrep queue list` (ioredis, through redisOptions) and the container probe
 * (`finrep health beat`, its own RESP client) both connect; a wrong password is refused, the URL masked.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEAT_HEARTBEAT_KEY } from '../src/ops/heartbeats.ts';
import { BIN } from './helpers/delivery.ts';
import { freePort } from './helpers/private-servers.ts';

const PASSWORD = 'tls-Pa55word';
const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!HAS_OPENSSL)('REDIS_URL over TLS with a password (a managed Redis’s shape)', () => {
  let dir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let admin: Redis;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'finrep-redis-tls-'));
    const made = spawnSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'],
        ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
        ...['-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      ],
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    port = await freePort();
    const c = spawn(
      'redis-server',
      [
        ...['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        ...['--tls-cert-file', path.join(dir, 'cert.pem'), '--tls-key-file', path.join(dir, 'key.pem')],
        ...['--tls-ca-cert-file', path.join(dir, 'cert.pem'), '--tls-auth-clients', 'no', '--requirepass', PASSWORD],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server = c;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()).includes('Ready to accept connections') && resolve());
      c.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)));
    });
    admin = new Redis({
      host: '127.0.0.1',
      port,
      password: PASSWORD,
      tls: { ca: readFileSync(path.join(dir, 'cert.pem')) },
    });
  });
  afterAll(async () => {
    admin?.disconnect();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const finrep = (args: string[], url: string) =>
    spawnSync(process.execPath, [BIN, ...args], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'warn',
        REDIS_URL: url,
        NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem'),
      },
    });

  it('finrep queue list and the container probe connect; a wrong password is refused and masked', async () => {
    const url = `rediss://:${PASSWORD}@127.0.0.1:${port}/0`;
    // A waiting job, added the way BullMQ stores one, and a beat heartbeat: what the two commands read.
    await admin.set(BEAT_HEARTBEAT_KEY, JSON.stringify({ at: new Date().toISOString() }));
    const { Queue } = await import('bullmq');
    const queue = new Queue('extract', { connection: admin.duplicate(), prefix: 'finrep' });
    await queue.add('extract', {}, { jobId: 'tls-1' });
    await queue.close();

    const list = finrep(['queue', 'list', 'extract', '--json'], url);
    expect(list.status, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ queue: 'extract', waiting: 1 }]);

    const probe = finrep(['health', 'beat'], url);
    expect(probe.status, probe.stdout + probe.stderr).toBe(0);
    expect(probe.stdout).toMatch(/^beat: ok/m);

    const wrong = `rediss://:not-the-${PASSWORD}@127.0.0.1:${port}/0`;
    const refused = finrep(['queue', 'list'], wrong);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`rediss://:***@127.0.0.1:${port}/0`);
    expect(refused.stderr + refused.stdout).not.toContain(`not-the-${PASSWORD}`);
    const probeRefused = finrep(['health', 'beat'], wrong);
    expect(probeRefused.status).toBe(1);
    expect(probeRefused.stdout + probeRefused.stderr).not.toContain(`not-the-${PASSWORD}`);
  });
});
