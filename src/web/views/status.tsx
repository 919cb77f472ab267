/**
 * /admin/status: the installation now (database, Redis, queues, workers, beat, web latency) in panels, then
 * its trends as charts drawn from the 30 s samples (static/charts.js redraws them every 30 s).
 */
import type { StatusSnapshot } from '../../ops/status.ts';
import type { Range } from '../routes/status/chart-options.ts';
import { RANGES } from '../routes/status/chart-options.ts';
import { stateWord } from '../i18n/index.ts';
import type { PageContext } from './layout.tsx';
import { Badge, Chart, formatNumber, formatTime, Page, Panel, Stat, Table, Time } from './ui.tsx';

const mb = (ctx: PageContext, bytes: number | null) =>
  bytes === null ? '—' : `${formatNumber(ctx, bytes / 1048576, bytes < 10 * 1048576 ? 1 : 0)} MB`;
const ms = (ctx: PageContext, v: number | null) => (v === null ? '—' : `${formatNumber(ctx, v, 1)} ms`);

function Up({ ctx, ok, message }: { ctx: PageContext; ok: boolean; message?: string }) {
  return (
    <Badge tone={ok ? 'ok' : 'bad'} title={message}>
      {ctx.t(ok ? 'status.reachable' : 'status.unreachable')}
    </Badge>
  );
}

/** A two-column list of facts. */
function Facts({ rows }: { rows: [string, React.ReactNode][] }) {
  return (
    <dl className="status-facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A queue by its name in the page's language, with the name `finrep queue` knows it by. */
function QueueName({ ctx, queue }: { ctx: PageContext; queue: string }) {
  const label = stateWord(ctx.t, 'queue', queue);
  return label === queue ? (
    <code>{queue}</code>
  ) : (
    <span>
      <span className="state-word">{label}</span> <code>{queue}</code>
    </span>
  );
}

function Problem({ message }: { message?: string }) {
  return message ? <p className="status-problem wrap-anywhere">{message}</p> : null;
}

export function StatusPage({
  ctx,
  snapshot: s,
  sampledAt,
  range,
}: {
  ctx: PageContext;
  snapshot: StatusSnapshot;
  sampledAt: Date | null;
  range: Range;
}) {
  const { t } = ctx;
  const d = s.database;
  const latencyTone = s.web.p95Ms === null ? undefined : s.web.p95Ms <= 50 ? 'ok' : s.web.p95Ms <= 200 ? 'warn' : 'bad';
  const names: ('latency' | 'queues' | 'database' | 'redis')[] = ['latency', 'queues', 'database'];
  if (s.redis) names.push('redis');
  const charts = names.map((c) => ({ c, label: t(`status.chart.${c}`) }));
  return (
    <Page ctx={ctx} title={t('status.title')} scripts={['charts.js']}>
      <p className="muted">{t(s.mode === 'embedded' ? 'status.mode.embedded' : 'status.mode.web')}</p>
      <div className="stats">
        <Stat
          label={t('status.database')}
          value={t(d.ok ? 'status.reachable' : 'status.unreachable')}
          tone={d.ok ? 'ok' : 'bad'}
        />
        <Stat label={t('status.size')} value={mb(ctx, d.sizeBytes)} />
        <Stat label={t('status.connections')} value={formatNumber(ctx, d.connections)} />
        {s.redis && (
          <Stat
            label={`Redis ${t('status.usedMemory')}`}
            value={mb(ctx, s.redis.usedMemoryBytes)}
            tone={s.redis.ok ? undefined : 'bad'}
          />
        )}
        <Stat label={`${t('status.web')} p50`} value={ms(ctx, s.web.p50Ms)} />
        <Stat label={`${t('status.web')} p95`} value={ms(ctx, s.web.p95Ms)} tone={latencyTone} />
      </div>
      <div className="grid">
        <Panel title={t('status.database')}>
          <Facts
            rows={[
              [t('status.kind'), d.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'],
              [t('status.reachable'), <Up key="up" ctx={ctx} ok={d.ok} message={d.message} />],
              [t('status.latency'), ms(ctx, d.latencyMs)],
              [
                t('status.connections'),
                d.connections === null
                  ? '—'
                  : t('status.connectionsOf', {
                      n: d.connections,
                      max: d.maxConnections ?? '—',
                      active: d.activeConnections ?? '—',
                    }),
              ],
              [t('status.size'), mb(ctx, d.sizeBytes)],
            ]}
          />
          <Problem message={d.message} />
        </Panel>
        <Panel title={t('status.redis')}>
          {s.redis ? (
            <>
              <Facts
                rows={[
                  [t('status.reachable'), <Up key="up" ctx={ctx} ok={s.redis.ok} message={s.redis.message} />],
                  [t('status.usedMemory'), mb(ctx, s.redis.usedMemoryBytes)],
                  [t('status.maxMemory'), s.redis.maxMemoryBytes ? mb(ctx, s.redis.maxMemoryBytes) : '—'],
                  [t('status.clients'), formatNumber(ctx, s.redis.clients)],
                  [t('status.version'), s.redis.version ?? '—'],
                ]}
              />
              <Problem message={s.redis.message} />
            </>
          ) : (
            <p className="muted">{t(s.mode === 'embedded' ? 'status.noRedis' : 'status.noRedisWeb')}</p>
          )}
        </Panel>
        <Panel title={t('status.beat')}>
          <Facts
            rows={[
              ...(s.beat.mode === 'redis'
                ? ([[t('status.lastTick'), <Time key="tick" ctx={ctx} at={s.beat.lastTick} seconds />]] as [
                    string,
                    React.ReactNode,
                  ][])
                : []),
              [t('status.nextRun'), <Time key="next" ctx={ctx} at={s.beat.nextRun} />],
            ]}
          />
          {s.beat.mode === 'in-process' ? (
            <p className="muted">{t('status.beatInProcess')}</p>
          ) : !s.redis ? (
            <p className="muted">{t('status.beatNoRedis')}</p>
          ) : !s.beat.ok && !s.beat.lastTick && s.redis.ok ? (
            <Problem message={t('status.noBeat')} />
          ) : (
            <Problem message={s.beat.ok ? undefined : s.beat.message} />
          )}
        </Panel>
        <Panel title={t('status.web')}>
          <Facts
            rows={[
              [t('status.p50'), ms(ctx, s.web.p50Ms)],
              [t('status.p95'), ms(ctx, s.web.p95Ms)],
              [t('status.requests'), formatNumber(ctx, s.web.requests)],
              [t('status.rss'), `${formatNumber(ctx, s.web.rssMb, 0)} MB`],
            ]}
          />
          <p className="muted">{t('status.webHint')}</p>
        </Panel>
      </div>
      <div className="grid">
        <Panel title={t('status.queues')}>
          {s.queues.source === null ? (
            <p className="muted">{t('status.noRedisWeb')}</p>
          ) : (
            <>
              <p className="muted">
                {t(s.queues.source === 'in-process' ? 'status.queueInProcess' : 'status.queueBull')}
              </p>
              <Problem message={s.queues.message} />
              <Table
                ctx={ctx}
                head={[t('status.queue'), t('status.waiting'), t('status.active'), t('status.failed')]}
                rows={s.queues.rows.map((q) => [
                  <QueueName key="q" ctx={ctx} queue={q.queue} />,
                  formatNumber(ctx, q.waiting),
                  formatNumber(ctx, q.active),
                  q.failed > 0 ? (
                    <Badge key="f" tone="bad">
                      {formatNumber(ctx, q.failed)}
                    </Badge>
                  ) : (
                    '0'
                  ),
                ])}
              />
            </>
          )}
        </Panel>
        <Panel title={t('status.workers')}>
          {s.workers === null ? (
            <p className="muted">{t(s.mode === 'embedded' ? 'status.workersInProcess' : 'status.noRedisWeb')}</p>
          ) : (
            <>
              <Problem message={s.workers.ok ? undefined : s.workers.message} />
              <Table
                ctx={ctx}
                empty={t('status.noWorkers')}
                head={[t('status.worker'), t('status.heartbeat'), t('status.activeJobs'), t('status.rss')]}
                rows={s.workers.list.map((w) => [
                  <span key="w" className="wrap-anywhere">
                    {w.worker}
                  </span>,
                  <Time key="at" ctx={ctx} at={w.at} seconds />,
                  formatNumber(ctx, w.activeJobs),
                  w.rssMb === null ? '—' : `${formatNumber(ctx, w.rssMb)} MB`,
                ])}
              />
            </>
          )}
        </Panel>
      </div>
      <Panel title={t('status.trends')}>
        <nav className="status-ranges" aria-label={t('status.range')}>
          {Object.keys(RANGES).map((r) => (
            <a key={r} href={`/admin/status?range=${r}`} aria-current={r === range ? 'page' : undefined}>
              {r}
            </a>
          ))}
        </nav>
        <p className="muted">
          {sampledAt ? t('status.sampled', { at: formatTime(ctx, sampledAt, true) }) : t('status.notSampled')}
        </p>
        <div className="status-charts">
          {charts.map(({ c, label }) => (
            <figure key={c} className="status-chart">
              <figcaption>{label}</figcaption>
              <Chart src={`/admin/status/charts/${c}?range=${range}`} label={label} height={240} refreshSec={30} />
            </figure>
          ))}
        </div>
      </Panel>
    </Page>
  );
}
