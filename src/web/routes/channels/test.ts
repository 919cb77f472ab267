import { idParams } from '../api-common.ts';
import { testChannel } from '../../../channels/store.ts';
import { getChannelRow } from '../../../db/queries/console-channels.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import type { ChannelFormState } from '../../views/channels-form.tsx';
import { actorOf, formOf } from './form.ts';

/**
 * How long a test holds its request open waiting for the platform's reply.
 * @defaultValue 15 s
 */
export const TEST_TIMEOUT_MS = 15_000;
/** Tests at once in this process: each holds a request open. */
const MAX_RUNNING = 2;
let running = 0;

/**
 * `POST /channels/:id/test`: sends a short test message now, as `finrep channels test` does (the store audits
 * `channel.test`), and shows the channel's page with the platform's reply or the error.
 */
export const channelsTest: WebRoute = (app, deps) => {
  app.post('/channels/:id/test', { config: { auth: 'admin' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    const before = p.success ? await getChannelRow(deps.db, p.data.id) : null;
    if (!before) return reply.callNotFound();
    const ctx = pageContext(req, reply);
    const show = async (form: ChannelFormState, status = 200) => {
      const channel = (await getChannelRow(deps.db, before.id)) ?? before;
      return sendPage(
        reply,
        async (h) => h((await import('../../views/channels-form.tsx')).ChannelFormPage, { ctx, channel, form }),
        status,
      );
    };
    if (running >= MAX_RUNNING) return show({ ...formOf(before), formError: ctx.t('channels.testBusy') }, 429);
    running++;
    try {
      const { adapterFor } = await import('../../../channels/adapters.ts');
      const test = await testChannel(
        deps.db,
        deps.secret,
        before.name,
        { adapterFor, timeoutMs: TEST_TIMEOUT_MS, publicBaseUrl: deps.config.report.publicBaseUrl },
        actorOf(req),
      );
      if (!test) return reply.callNotFound();
      return show({ ...formOf(before), test });
    } finally {
      running--;
    }
  });
};
