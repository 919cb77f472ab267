/**
 * The pages a recipient reaches from a mail, without an account: the unsubscribe confirmation, its outcome,
 * and the refusal of a link that is invalid or expired. Their words live here (zh-CN first, English).
 */
import type { Lang } from '../i18n/index.ts';
import { Layout, Notice } from './layout.tsx';
import type { PageContext } from './layout.tsx';

const WORDS = {
  'zh-CN': {
    confirmTitle: '退订金融情报日报',
    confirmLead: '确认后，{email} 将不再收到金融情报日报。',
    confirmButton: '确认退订',
    confirmNote: '如果这不是您的邮箱，或您是误点了链接，关闭此页面即可，什么都不会改变。',
    doneTitle: '已退订',
    done: '{email} 已退订，今后不会再收到金融情报日报。',
    already: '{email} 此前已经退订，不会再收到金融情报日报。',
    doneNote: '如需重新订阅，请联系发送日报的管理员。',
    invalidTitle: '链接无效',
    invalid: '这个退订链接无效或不完整。请使用邮件中的链接，或直接回复邮件要求退订。',
    unknown: '这个链接对应的收件人已不存在，不会再收到日报。',
    viewInvalidTitle: '无法打开日报',
    viewInvalid: '这个在线查看链接无效。请使用邮件中的链接，或登录后查看。',
    viewExpired: '这个在线查看链接已过期。登录后可查看全部往期日报，或阅读邮件正文与 Excel 附件。',
    signIn: '登录',
  },
  en: {
    confirmTitle: 'Unsubscribe from the daily report',
    confirmLead: 'Once you confirm, {email} will no longer receive the financial intelligence daily report.',
    confirmButton: 'Unsubscribe',
    confirmNote:
      'If this is not your address, or you followed the link by mistake, just close this page: nothing changes.',
    doneTitle: 'Unsubscribed',
    done: '{email} is unsubscribed and will not receive the daily report again.',
    already: '{email} had already unsubscribed and will not receive the daily report again.',
    doneNote: 'To subscribe again, ask the administrator who sends the report.',
    invalidTitle: 'Invalid link',
    invalid:
      'This unsubscribe link is invalid or incomplete. Use the link in the mail, or reply to the mail to unsubscribe.',
    unknown: 'The recipient of this link no longer exists and will not receive the report.',
    viewInvalidTitle: 'Cannot open the report',
    viewInvalid: 'This web-view link is invalid. Use the link in the mail, or sign in.',
    viewExpired:
      'This web-view link has expired. Sign in to see every edition, or read the mail and its Excel attachment.',
    signIn: 'Sign in',
  },
} satisfies Record<Lang, Record<string, string>>;

type Word = keyof (typeof WORDS)['zh-CN'];

const say = (lang: Lang, key: Word, email = '') => WORDS[lang][key].replace('{email}', email);

/** `z***g@example.com`: enough for the owner to recognise, little for a shoulder-surfer. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  const shown = local.length <= 2 ? `${local[0] ?? ''}*` : `${local[0]}***${local.at(-1)}`;
  return `${shown}@${domain}`;
}

/** The confirmation page at the mail's 退订 link: one button that posts the same signed link. */
export function UnsubscribeConfirmPage({ ctx, email, action }: { ctx: PageContext; email: string; action: string }) {
  const { lang } = ctx;
  return (
    <Layout ctx={ctx} title={say(lang, 'confirmTitle')}>
      <section className="card narrow">
        <h1>{say(lang, 'confirmTitle')}</h1>
        <p>{say(lang, 'confirmLead', maskEmail(email))}</p>
        <form method="post" action={action} className="stack">
          <button type="submit">{say(lang, 'confirmButton')}</button>
        </form>
        <p className="muted">{say(lang, 'confirmNote')}</p>
      </section>
    </Layout>
  );
}

/** After unsubscribing (or finding it done before). */
export function UnsubscribeDonePage({ ctx, email, already }: { ctx: PageContext; email: string; already: boolean }) {
  const { lang } = ctx;
  return (
    <Layout ctx={ctx} title={say(lang, 'doneTitle')}>
      <section className="card narrow">
        <h1>{say(lang, 'doneTitle')}</h1>
        <Notice kind="info">{say(lang, already ? 'already' : 'done', maskEmail(email))}</Notice>
        <p className="muted">{say(lang, 'doneNote')}</p>
      </section>
    </Layout>
  );
}

/** A mail link refused: a bad unsubscribe token, a recipient gone, a bad or expired web-view token. */
export function MailLinkRefusedPage({
  ctx,
  reason,
  next,
}: {
  ctx: PageContext;
  reason: 'invalid' | 'unknown' | 'viewInvalid' | 'viewExpired';
  /** Where signing in leads (web-view links). */
  next?: string;
}) {
  const { lang } = ctx;
  const title = say(lang, reason.startsWith('view') ? 'viewInvalidTitle' : 'invalidTitle');
  return (
    <Layout ctx={ctx} title={title}>
      <section className="card narrow">
        <h1>{title}</h1>
        <Notice kind="error">{say(lang, reason)}</Notice>
        {next ? (
          <p>
            <a href={`/login?next=${encodeURIComponent(next)}`}>{say(lang, 'signIn')}</a>
          </p>
        ) : null}
      </section>
    </Layout>
  );
}
