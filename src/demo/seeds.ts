/** The demo world's sources and recipients, as `finrep run --demo` seeds them into an empty database. */
import type { WebRules } from '../domain.ts';
import type { SourceKey } from './articles/types.ts';
import { OUTLETS } from './outlets.ts';
import { POLICY_RULES } from './render/policy-site.ts';
import { INDUSTRY_RULES } from './render/industry-site.ts';
import { DYNAMIC_RULES } from './render/dynamic-site.ts';

/** One source to seed (`url` is absolute, on the running world). */
export interface DemoSourceSeed {
  key: string;
  name: string;
  kind: 'rss' | 'web' | 'dynamic';
  url: string;
  rules: WebRules | null;
  weight: number;
  timezone: string | null;
}

/** One recipient to seed. */
export interface DemoRecipientSeed {
  email: string;
  name: string;
  groups: string[];
}

const PLAN: {
  key: SourceKey;
  kind: DemoSourceSeed['kind'];
  rules: WebRules | null;
  weight: number;
  localDates: boolean;
}[] = [
  { key: 'feed-macro', kind: 'rss', rules: null, weight: 1.2, localDates: false },
  { key: 'feed-markets', kind: 'rss', rules: null, weight: 1.1, localDates: false },
  { key: 'feed-gbk', kind: 'rss', rules: null, weight: 0.9, localDates: false },
  // Chinese dates carry no zone, so the source's zone decides what `08:30` means.
  { key: 'feed-relative', kind: 'rss', rules: null, weight: 1.0, localDates: true },
  { key: 'feed-global', kind: 'rss', rules: null, weight: 1.0, localDates: false },
  { key: 'feed-companies', kind: 'rss', rules: null, weight: 1.1, localDates: false },
  { key: 'site-policy', kind: 'web', rules: POLICY_RULES, weight: 1.5, localDates: true },
  { key: 'site-industry', kind: 'web', rules: INDUSTRY_RULES, weight: 0.9, localDates: true },
  { key: 'site-dynamic', kind: 'dynamic', rules: DYNAMIC_RULES, weight: 0.8, localDates: true },
];

/** The nine demo sources, pointing at a world served from `baseUrl`. */
export function demoSources(baseUrl: string, timezone: string): DemoSourceSeed[] {
  return PLAN.map((p) => ({
    key: p.key,
    name: OUTLETS[p.key].name,
    kind: p.kind,
    url: baseUrl + OUTLETS[p.key].entry,
    rules: p.rules,
    weight: p.weight,
    timezone: p.localDates ? timezone : null,
  }));
}

/** Three demo recipients on example.com (mail to them goes to the outbox in the demo). */
export const DEMO_RECIPIENTS: readonly DemoRecipientSeed[] = [
  { email: 'zhang.mingyuan@example.com', name: '张明远', groups: ['研究部'] },
  { email: 'li.wanqing@example.com', name: '李婉清', groups: ['投资部'] },
  { email: 'wang.zhiqiang@example.com', name: '王志强', groups: ['研究部', '投资部'] },
];
