/** The chat channels list: each channel's kind, redacted URL, group, state, last push and recent failures. */
import type { ChannelListRow } from '../../db/queries/console-channels.ts';
import type { ChannelKind, DeliveryStatus } from '../../db/schema/index.ts';
import type { PageContext } from './layout.tsx';
import { CardTable, DeliveryBadge } from './recipients.tsx';
import { Badge, Page, Panel, PostButton, queryString, Time } from './ui.tsx';

/** The kinds in the order the form offers them. */
export const CHANNEL_KINDS: readonly ChannelKind[] = ['wecom', 'feishu', 'dingtalk', 'telegram', 'webhook'];

/** `企业微信`, `飞书`, … in the page's language. */
export const kindLabel = (ctx: PageContext, kind: ChannelKind) => ctx.t(`channels.kind.${kind}`);

/**
 * `https://qyapi.weixin.qq.com/…`: the URL as far as the console ever shows it (the stored host, never the
 * path or the query, which carry the robot's token).
 */
export function redactedUrl(urlHost: string): string {
  return urlHost.includes('://') ? `${urlHost}/…` : `https://${urlHost}/…`;
}

/** A channel's kind as a small tag, coloured by platform. */
export function KindTag({ ctx, kind }: { ctx: PageContext; kind: ChannelKind }) {
  return <span className={`tag ch-kind ch-${kind}`}>{kindLabel(ctx, kind)}</span>;
}

/** The channel's last push: its status badge, edition and time, or "not yet". */
export function LastSend({ ctx, last }: { ctx: PageContext; last: ChannelListRow['last'] }) {
  if (!last) return <span className="muted">{ctx.t('channels.never')}</span>;
  return (
    <span className="ch-last">
      <DeliveryBadge ctx={ctx} status={last.status as DeliveryStatus} />
      <a href={`/deliveries?${queryString({ edition: last.date })}#channels`}>{last.date}</a>
      <Time ctx={ctx} at={last.at} />
    </span>
  );
}

export function ChannelsPage({
  ctx,
  rows,
  notice,
}: {
  ctx: PageContext;
  rows: ChannelListRow[];
  notice: string | null;
}) {
  const { t } = ctx;
  const admin = ctx.user?.role === 'admin';
  const actions = admin ? (
    <a className="rcp-btn" href="/channels/new">
      {t('channels.new')}
    </a>
  ) : undefined;
  return (
    <Page ctx={ctx} title={t('channels.title')} notice={notice} actions={actions}>
      <p className="muted ch-intro">{t('channels.intro')}</p>
      <Panel>
        <CardTable
          ctx={ctx}
          empty={t('channels.none')}
          head={[
            t('channels.name'),
            t('channels.kind'),
            t('channels.url'),
            t('channels.group'),
            t('channels.state'),
            t('channels.lastSend'),
            t('channels.failures'),
            t('ui.actions'),
          ]}
          rows={rows.map((r) => [
            <a key="n" className="ch-name" href={`/channels/${r.id}`}>
              {r.name}
            </a>,
            <KindTag key="k" ctx={ctx} kind={r.kind} />,
            <code key="u" className="ch-url">
              {redactedUrl(r.urlHost)}
            </code>,
            r.group ? (
              <span key="g" className="tag ch-group">
                {r.group}
              </span>
            ) : (
              <span key="g" className="muted">
                {t('channels.anyGroup')}
              </span>
            ),
            <Badge key="s" tone={r.enabled ? 'ok' : 'muted'}>
              {t(r.enabled ? 'channels.on' : 'channels.off')}
            </Badge>,
            <LastSend key="l" ctx={ctx} last={r.last} />,
            r.failures > 0 ? (
              <Badge key="f" tone="bad" title={r.last?.error ?? undefined}>
                {String(r.failures)}
              </Badge>
            ) : (
              '0'
            ),
            <span key="a" className="actions">
              <PostButton ctx={ctx} action={`/channels/${r.id}/test`} label={t('channels.test')} kind="link" />
              <PostButton
                ctx={ctx}
                action={`/channels/${r.id}/enabled`}
                fields={{ enabled: r.enabled ? '0' : '1' }}
                label={t(r.enabled ? 'channels.disable' : 'channels.enable')}
                kind="link"
              />
            </span>,
          ])}
        />
      </Panel>
    </Page>
  );
}
