import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../src/config/index.ts';
import type { Db } from '../src/db/client.ts';
import { createLogger } from '../src/log.ts';
import { clusterFamilies } from '../src/ops/metrics-cluster.ts';
import { buildRegistry } from '../src/ops/metrics-registry.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const PROM = path.join(ROOT, 'deploy/prometheus');
const RULES = path.join(PROM, 'rules/finrep.rules.yml');
const DASHBOARDS = path.join(ROOT, 'deploy/grafana/dashboards');
const has = (bin: string) => ['/usr/bin', '/usr/local/bin', '/bin'].some((d) => existsSync(path.join(d, bin)));

/** Every series name a registry of a web process can print (histograms with their three suffixes). */
function exportedNames(): Set<string> {
  const config = loadConfig({ FINREP_DATA_DIR: ROOT, LOG_LEVEL: 'silent' }, { envFile: null });
  const cluster = clusterFamilies({ db: null as unknown as Db, config, log: createLogger({ level: 'silent' }) });
  const registry = buildRegistry({ dataDir: ROOT, cluster: cluster.families });
  const names = new Set<string>(['up']); // Prometheus' own, per target
  for (const m of registry.getMetricsAsArray()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
  }
  return names;
}

/** The metric names an expression reads: finrep's, Node's and the process's families, and `up` (label matchers and ranges left out). */
function namesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]');
  return [...bare.matchAll(/\b(finrep_\w+|process_\w+|nodejs_\w+|up)\b/g)].map((m) => m[1]!);
}

function ruleExprs(): { name: string; expr: string }[] {
  const doc = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ name: r.alert, expr: r.expr })));
}

function dashboardExprs(): { name: string; expr: string }[] {
  return readdirSync(DASHBOARDS)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const d = JSON.parse(readFileSync(path.join(DASHBOARDS, f), 'utf8')) as {
        panels: { title: string; targets?: { expr: string }[] }[];
      };
      return d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ name: `${f}: ${p.title}`, expr: t.expr })));
    });
}

describe('alert rules and dashboard against the metrics finrep exports', () => {
  const exported = exportedNames();

  it('every alert rule reads only families finrep exports', () => {
    const rules = ruleExprs();
    expect(rules.length).toBeGreaterThanOrEqual(9);
    for (const r of rules) {
      const names = namesIn(r.expr);
      expect(names.length, r.name).toBeGreaterThan(0);
      for (const n of names) expect(exported.has(n), `${r.name}: ${n}`).toBe(true);
    }
    // The alerts the operator's runbook promises.
    expect(rules.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'FinrepTargetDown',
        'FinrepCrashLooping',
        'FinrepTaskFailureRateHigh',
        'FinrepDiskAlmostFull',
        'FinrepQueueBacklogGrowing',
        'FinrepEditionNotDelivered',
        'FinrepLlmBudgetAlmostSpent',
      ]),
    );
  });

  it('every dashboard query reads only families finrep exports, from the provisioned data source', () => {
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThanOrEqual(15);
    for (const e of exprs) for (const n of namesIn(e.expr)) expect(exported.has(n), `${e.name}: ${n}`).toBe(true);
    const datasource = parse(
      readFileSync(path.join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string }[] };
    const text = readdirSync(DASHBOARDS)
      .map((f) => readFileSync(path.join(DASHBOARDS, f), 'utf8'))
      .join('');
    const uids = new Set([...text.matchAll(/"uid":\s*"(finrep-prometheus|[^"]*)"/g)].map((m) => m[1]));
    expect(uids.has(datasource.datasources[0]!.uid)).toBe(true);
  });

  it('the name check itself catches a family that does not exist', () => {
    expect(namesIn('sum by (queue) (rate(finrep_jobs_failed_total{queue="x"}[5m]))')).toEqual([
      'finrep_jobs_failed_total',
    ]);
    expect(exported.has('finrep_jobs_failed_total')).toBe(false);
  });

  it.skipIf(!has('promtool'))('promtool: config, rules and the rules’ unit tests pass', () => {
    const run = (...args: string[]) => execFileSync('promtool', args, { cwd: ROOT, encoding: 'utf8' });
    expect(run('check', 'config', 'deploy/prometheus/prometheus.yml')).toContain('SUCCESS');
    expect(run('check', 'rules', 'deploy/prometheus/rules/finrep.rules.yml')).toContain('SUCCESS');
    expect(run('test', 'rules', 'deploy/prometheus/tests/finrep.test.yml')).toContain('SUCCESS');
  });

  it.skipIf(!has('promtool'))('promtool parses every dashboard query (as recording rules)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'finrep-dashboard-'));
    try {
      // Grafana's $__rate_interval is not PromQL: a fixed range stands in for it.
      const rules = dashboardExprs().map((e, i) => ({
        record: `finrep_dashboard_check_${i}`,
        expr: e.expr.replaceAll('$__rate_interval', '5m'),
      }));
      const file = path.join(dir, 'dashboard.rules.yml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      expect(execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })).toContain(
        `SUCCESS: ${rules.length} rules found`,
      );
      // And a broken query is caught.
      writeFileSync(file, stringify({ groups: [{ name: 'x', rules: [{ record: 'x', expr: 'sum(rate(x[5m])' }] }] }));
      expect(() => execFileSync('promtool', ['check', 'rules', file], { stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!has('amtool'))('amtool: the Alertmanager config is valid and routes alerts to mail', () => {
    const run = (...args: string[]) => execFileSync('amtool', args, { cwd: ROOT, encoding: 'utf8' });
    expect(run('check-config', 'deploy/alertmanager/alertmanager.yml')).toContain('SUCCESS');
    const route = run(
      'config',
      'routes',
      'test',
      '--config.file=deploy/alertmanager/alertmanager.yml',
      'severity=critical',
    );
    expect(route.trim()).toBe('operators-mail');
  });
});
