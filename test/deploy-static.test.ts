/**
 * The deployment files, checked without an engine: every compose file and profile combination through
 * Compose v2's own `config` (when a Compose v2 binary is at hand: scripts/compose-bin.sh fetches one, .ci/run
 * sets FINREP_COMPOSE_BIN), the files against the compose-spec JSON schema, and the Dockerfile's shape
 * (stages, non-root user, health check, pinned bases, exec-form commands). The real build and `up` are
 * scripts/stack-test.sh's (docs/deploy.md).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');

/** A service as `docker compose config --format json` (or the YAML with its merge keys) gives it. */
interface Service {
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  user?: string;
  privileged?: boolean;
  tmpfs?: string | string[];
  volumes?: (string | { type?: string; target: string; read_only?: boolean })[];
  deploy?: { resources?: { limits?: { pids?: number | string } } };
}

/**
 * What each service may write (docs/deploy.md "Hardening"): its tmpfs mounts and writable volumes, nothing
 * else. A writable mount not listed here is a finding, as is a service this list does not know.
 */
const WRITABLE: Record<string, string[]> = {
  migrate: ['/tmp', '/app/data'],
  web: ['/tmp', '/app/data'],
  worker: ['/tmp', '/app/data'],
  beat: ['/tmp', '/app/data', '/backups'],
  backup: ['/tmp', '/app/data', '/backups'],
  postgres: ['/tmp', '/var/run/postgresql', '/var/lib/postgresql/data'],
  redis: ['/tmp', '/data'],
  nginx: ['/tmp'],
  prometheus: ['/prometheus'],
  alertmanager: ['/alertmanager'],
  grafana: ['/tmp', '/var/lib/grafana'],
  demo: ['/tmp', '/app/data'],
};

/**
 * The hardening every service must carry: a read-only root filesystem, every capability dropped and none
 * added back, no-new-privileges, a non-root user, a pids limit, and writes only where WRITABLE says.
 * Returns one line per finding (empty: hardened).
 */
function hardeningFindings(services: Record<string, Service>): string[] {
  const found: string[] = [];
  for (const [name, s] of Object.entries(services)) {
    if (s.read_only !== true) found.push(`${name}: no read_only root filesystem`);
    if (!(s.cap_drop ?? []).includes('ALL')) found.push(`${name}: cap_drop lacks ALL`);
    if ((s.cap_add ?? []).length) found.push(`${name}: cap_add ${s.cap_add!.join(',')}`);
    if (s.privileged) found.push(`${name}: privileged`);
    if (!(s.security_opt ?? []).some((o) => /^no-new-privileges(:true|=true)?$/.test(o)))
      found.push(`${name}: no no-new-privileges`);
    const uid = (s.user ?? '').split(':')[0]!;
    if (!/^\d+$/.test(uid) || uid === '0')
      found.push(`${name}: user ${s.user ?? '(image default)'} is not a non-root uid`);
    if (!(Number(s.deploy?.resources?.limits?.pids) > 0)) found.push(`${name}: no pids limit`);
    const allowed = WRITABLE[name];
    if (!allowed) {
      found.push(`${name}: unknown service (say what it may write in WRITABLE)`);
      continue;
    }
    const tmpfs = typeof s.tmpfs === 'string' ? [s.tmpfs] : (s.tmpfs ?? []);
    const writable = [
      ...tmpfs.map((t) => t.split(':')[0]!),
      ...(s.volumes ?? []).flatMap((v) => {
        if (typeof v === 'string') return v.endsWith(':ro') ? [] : [v.split(':')[1] ?? v];
        return v.read_only ? [] : [v.target];
      }),
    ];
    for (const w of writable) if (!allowed.includes(w)) found.push(`${name}: writes ${w}`);
  }
  return found;
}

function composeBinary(): string | null {
  if (process.env.FINREP_COMPOSE_BIN) return process.env.FINREP_COMPOSE_BIN;
  const found = spawnSync('bash', [path.join(root, 'scripts/compose-bin.sh')], { encoding: 'utf8', timeout: 120_000 });
  return found.status === 0 ? found.stdout.trim() : null;
}

describe('compose files', () => {
  const project = mkdtempSync(path.join(os.tmpdir(), 'finrep-compose-'));
  writeFileSync(path.join(project, '.env.prod'), 'LOG_LEVEL=info\n');
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  const prod = ['-f', path.join(root, 'docker-compose.prod.yml')];
  const combos: [string, string[]][] = [
    ['prod', prod],
    ['prod + nginx', [...prod, '--profile', 'nginx']],
    ['prod + backup', [...prod, '--profile', 'backup']],
    ['prod + monitoring', [...prod, '--profile', 'monitoring']],
    ['prod + every profile', [...prod, '--profile', 'nginx', '--profile', 'backup', '--profile', 'monitoring']],
    ['prod + external database', [...prod, '-f', path.join(root, 'deploy/compose/external-db.yml')]],
    ['prod + web port', [...prod, '-f', path.join(root, 'deploy/compose/web-port.yml')]],
    ['prod + demo world and mail catcher', [...prod, '-f', path.join(root, 'deploy/compose/demo.yml')]],
    ['prod + the bench world (bench:stack)', [...prod, '-f', path.join(root, 'deploy/compose/bench.yml')]],
    ['dev', ['-f', path.join(root, 'docker-compose.dev.yml')]],
  ];
  const bin = composeBinary();

  it.skipIf(!bin).each(combos)('%s: docker compose config accepts it', (_name, args) => {
    const run = spawnSync(bin!, ['--project-directory', project, ...args, 'config', '-q'], {
      encoding: 'utf8',
      env: { ...process.env, COMPOSE_PROJECT_NAME: 'finrep-check' },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it.skipIf(!bin)('a broken file is refused (the check can fail)', () => {
    const bad = path.join(project, 'bad.yml');
    writeFileSync(
      bad,
      'services:\n  web:\n    image: x\n    depends_on: { nothere: { condition: service_healthy } }\n',
    );
    const run = spawnSync(bin!, ['--project-directory', project, '-f', bad, 'config', '-q'], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
  });

  it.skipIf(!bin)('prod: limits, reservations, logs, networks and ports as the deployment promises', () => {
    const out = execFileSync(
      bin!,
      ['--project-directory', project, ...prod, '--profile', 'nginx', 'config', '--format', 'json'],
      {
        encoding: 'utf8',
      },
    );
    const cfg = JSON.parse(out) as {
      services: Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
      networks: Record<string, { internal?: boolean; name?: string }>;
      volumes: Record<string, { name?: string }>;
    };
    // The seed's runbook names: volumes without a project prefix.
    expect(cfg.volumes.postgres_data_prod!.name).toBe('postgres_data_prod');
    expect(cfg.volumes.redis_data_prod!.name).toBe('redis_data_prod');
    const mem = (s: string) => cfg.services[s]!.deploy.resources.limits.memory;
    expect(mem('web')).toBe('536870912');
    expect(mem('worker')).toBe('1073741824');
    expect(mem('beat')).toBe('268435456');
    expect(mem('postgres')).toBe('536870912');
    expect(mem('redis')).toBe('268435456');
    for (const s of ['web', 'worker', 'beat']) {
      expect(cfg.services[s]!.deploy.resources.reservations.memory, s).toBeDefined();
      expect(cfg.services[s]!.logging).toEqual({
        driver: 'json-file',
        options: { 'max-size': '50m', 'max-file': '3' },
      });
      expect(cfg.services[s]!.restart).toBe('unless-stopped');
      expect(cfg.services[s]!.user).toBe('1000:1000');
      expect(cfg.services[s]!.healthcheck.test.slice(1, 3)).toEqual(['finrep', 'health']);
    }
    expect(cfg.services.postgres!.logging.options).toEqual({ 'max-size': '20m', 'max-file': '2' });
    expect(cfg.services.redis!.logging.options).toEqual({ 'max-size': '10m', 'max-file': '2' });
    // BullMQ loses jobs under allkeys-lru: noeviction, and AOF keeps the queue across restarts.
    expect(cfg.services.redis!.command.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    expect(cfg.services.redis!.command.join(' ')).toMatch(/--appendonly yes/);
    // Only nginx is published; databases and web are reachable inside the networks only.
    for (const [name, s] of Object.entries(cfg.services)) {
      if (name !== 'nginx') expect(s.ports ?? [], name).toEqual([]);
    }
    expect(cfg.services.nginx!.ports.map((p: { target: number }) => p.target).sort()).toEqual([443, 80]);
    expect(cfg.networks.backend!.internal).toBe(true);
    expect(cfg.networks['finrep-net']!.name).toBe('finrep-net');
    expect(cfg.services.postgres!.networks).toEqual({ backend: null });
    expect(cfg.services.redis!.networks).toEqual({ backend: null });
    // A stopping worker is not killed mid-send: the grace period outlasts WORKER_GRACE_SEC (30 s).
    expect(Number.parseInt(cfg.services.worker!.stop_grace_period)).toBeGreaterThanOrEqual(30);
    // No secret value in the environment: only *_FILE paths.
    for (const s of ['web', 'worker', 'beat']) {
      const env = cfg.services[s]!.environment as Record<string, string>;
      for (const key of Object.keys(env)) expect(key, s).not.toMatch(/^(POSTGRES_PASSWORD|JWT_SECRET_KEY|SMTP_PASS)$/);
    }
  });

  it.skipIf(!bin)('prod, every profile and overlay: every service hardened, writes only where listed', () => {
    const overlays: [string, string[]][] = [
      ['every profile', []],
      ['external database', ['-f', path.join(root, 'deploy/compose/external-db.yml')]],
      ['web port', ['-f', path.join(root, 'deploy/compose/web-port.yml')]],
      ['demo world', ['-f', path.join(root, 'deploy/compose/demo.yml')]],
    ];
    for (const [name, extra] of overlays) {
      const out = execFileSync(
        bin!,
        [
          '--project-directory',
          project,
          ...prod,
          ...extra,
          ...['--profile', 'nginx', '--profile', 'backup', '--profile', 'monitoring'],
          'config',
          '--format',
          'json',
        ],
        { encoding: 'utf8' },
      );
      const services = (JSON.parse(out) as { services: Record<string, Service> }).services;
      // The demo file's mail catcher stands in for a test inbox: not part of a production deployment.
      delete services.mailpit;
      expect(Object.keys(services).length, name).toBeGreaterThanOrEqual(name === 'every profile' ? 11 : 9);
      expect(hardeningFindings(services), name).toEqual([]);
      // Chromium's renderers need room: the worker's limit is the largest of the app's.
      expect(Number(services.worker!.deploy!.resources!.limits!.pids), name).toBeGreaterThanOrEqual(256);
    }
  });

  it('the hardening check fails a service that drops any part of it', () => {
    const services = parseYaml(read('docker-compose.prod.yml'), { merge: true }).services as Record<string, Service>;
    expect(hardeningFindings(services)).toEqual([]);
    const weaken: [string, (s: Service) => void, RegExp][] = [
      ['read_only', (s) => delete s.read_only, /web: no read_only/],
      ['cap_drop', (s) => (s.cap_drop = ['NET_RAW']), /web: cap_drop lacks ALL/],
      ['cap_add', (s) => (s.cap_add = ['SYS_ADMIN']), /web: cap_add SYS_ADMIN/],
      ['no-new-privileges', (s) => (s.security_opt = []), /web: no no-new-privileges/],
      ['user', (s) => (s.user = '0:0'), /web: user 0:0/],
      ['no user', (s) => delete s.user, /web: user \(image default\)/],
      ['pids', (s) => (s.deploy = { resources: { limits: {} } }), /web: no pids limit/],
      [
        'a writable bind mount',
        (s) => (s.volumes = [...(s.volumes ?? []), './x:/app/dist']),
        /web: writes \/app\/dist/,
      ],
      ['a tmpfs elsewhere', (s) => (s.tmpfs = ['/tmp', '/app']), /web: writes \/app$/],
    ];
    for (const [what, change, finding] of weaken) {
      const copy = structuredClone(services);
      change(copy.web!);
      const found = hardeningFindings(copy);
      expect(found, what).toHaveLength(1);
      expect(found[0], what).toMatch(finding);
    }
    expect(hardeningFindings({ ...services, extra: { ...services.web! } })).toEqual([
      'extra: unknown service (say what it may write in WRITABLE)',
    ]);
  });

  it('every compose file is valid against the compose-spec schema', () => {
    // The schema dclint ships, validated by the ajv dclint itself uses.
    const dclintPackage = createRequire(import.meta.url).resolve('dclint/package.json');
    const schema = JSON.parse(
      readFileSync(path.join(path.dirname(dclintPackage), 'schemas/compose.schema.json'), 'utf8'),
    );
    const { Ajv } = createRequire(dclintPackage)('ajv') as {
      Ajv: new (o: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
    };
    const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
    const validate = ajv.compile(schema);
    for (const f of [
      'docker-compose.prod.yml',
      'docker-compose.dev.yml',
      'deploy/compose/external-db.yml',
      'deploy/compose/web-port.yml',
      'deploy/compose/demo.yml',
      'deploy/compose/bench.yml',
    ]) {
      const ok = validate(parseYaml(read(f), { merge: true }));
      expect(ok ? [] : validate.errors, f).toEqual([]);
    }
  });
});

describe('Dockerfile', () => {
  const file = DockerfileParser.parse(read('Dockerfile'));
  const froms = file.getFROMs();
  const stages = froms.map((f) => f.getBuildStage());
  const lastStage = (name: string) => {
    const at = froms.findIndex((f) => f.getBuildStage() === name);
    const end = at + 1 < froms.length ? froms[at + 1]!.getRange().start.line : Number.MAX_SAFE_INTEGER;
    return file
      .getInstructions()
      .filter((i) => i.getRange().start.line > froms[at]!.getRange().start.line && i.getRange().start.line < end);
  };

  it('is multi-stage with the runtime and dev targets, runtime last', () => {
    expect(stages).toEqual(expect.arrayContaining(['deps', 'build', 'runtime', 'dev']));
    expect(stages.at(-1)).toBe('runtime');
  });

  it('pins its base images by tag (never latest)', () => {
    const arg = file.getARGs().find((a) => a.getProperty()?.getName() === 'NODE_IMAGE');
    expect(arg?.getProperty()?.getValue()).toBe('node:20-bookworm-slim');
    for (const f of froms) {
      const image = f.getImageName() ?? '';
      if (image.startsWith('${') || stages.includes(image)) continue;
      expect(f.getImageTag(), image).toMatch(/^\d/);
    }
  });

  it('runs as uid 1000 under an init, with a health check and exec-form commands', () => {
    const runtime = lastStage('runtime');
    const keyword = (k: string) => runtime.filter((i) => i.getKeyword() === k);
    expect(keyword('USER').at(-1)?.getArgumentsContent()).toBe('1000:1000');
    expect(keyword('HEALTHCHECK')).toHaveLength(1);
    expect(keyword('HEALTHCHECK')[0]!.getArgumentsContent()).toMatch(/CMD \["finrep", "health", "web"\]/);
    for (const k of ['CMD', 'ENTRYPOINT']) {
      const content = keyword(k).at(-1)?.getArgumentsContent() ?? '';
      expect(content, k).toMatch(/^\[.*\]$/);
    }
    expect(keyword('ENTRYPOINT').at(-1)?.getArgumentsContent()).toMatch(/tini/);
    const installs = read('Dockerfile');
    for (const pkg of ['chromium', 'fonts-noto-cjk', 'tini', 'postgresql-client-15']) expect(installs).toContain(pkg);
    expect(installs).toMatch(/npm ci --omit=dev/);
  });

  it('keeps .env files, keys and host builds out of the build context', () => {
    const ignore = read('.dockerignore').split('\n');
    for (const p of ['.env', '.env.*', 'node_modules', 'dist', 'data', '.git', '*.pem', '*.key', 'secrets'])
      expect(ignore).toContain(p);
  });
});
