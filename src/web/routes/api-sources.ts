import { z } from 'zod';
import { sourcesQ } from '../../db/queries/index.ts';
import type { SourceRow } from '../../db/queries/sources.ts';
import {
  derivedKey,
  parseSourceDefinition,
  sourceDefinitionSchema,
  SourceSpecError,
} from '../../collect/source-spec.ts';
import { auditWeb } from '../auth/sign-in.ts';
import type { WebRoute } from '../deps.ts';
import { apiScope, ERROR_REPLY, idParams, invalid, jsonSchema, notFound, parseOr400 } from './api-common.ts';

/** A source as the API shows it. */
export function sourceJson(s: SourceRow) {
  return {
    id: s.id,
    key: s.key,
    name: s.name,
    kind: s.kind,
    url: s.url,
    enabled: s.enabled,
    weight: s.weight,
    timezone: s.timezone,
    allowPrivate: s.allowPrivate,
    headers: s.headers,
    rules: s.rules,
    health: {
      last_fetch_at: s.lastFetchAt,
      last_success_at: s.lastSuccessAt,
      consecutive_failures: s.consecutiveFailures,
      last_error: s.lastError,
      next_attempt_at: s.nextAttemptAt,
    },
  };
}

const SOURCE = { type: 'object', additionalProperties: true, description: 'a source with its health' };
const DEFINITION = jsonSchema(sourceDefinitionSchema);
const tags = ['sources'];

/** Parses a definition with the CLI's validator, or answers 400 naming every field. */
function definitionOr400(reply: Parameters<typeof invalid>[0], body: unknown) {
  try {
    return parseSourceDefinition(body);
  } catch (e) {
    if (e instanceof SourceSpecError) {
      // the CLI's words, as before codes (the console says the codes in its own language)
      invalid(
        reply,
        e.issues.map(({ path, message }) => ({ path, message })),
      );
      return null;
    }
    throw e;
  }
}

/** `/api/v1/sources`: list, read, create, replace, delete; enable/disable by `PUT` with `enabled`. */
export const apiSources: WebRoute = (app, deps) => {
  apiScope(app);

  app.get(
    '/api/v1/sources',
    { schema: { tags, summary: 'every source with its health', response: { 200: { type: 'array', items: SOURCE } } } },
    async () => (await sourcesQ.listSources(deps.db)).map(sourceJson),
  );

  app.get(
    '/api/v1/sources/:id',
    {
      schema: {
        tags,
        summary: 'one source',
        params: jsonSchema(idParams),
        response: { 200: SOURCE, 404: ERROR_REPLY },
      },
    },
    async (req, reply) => {
      const p = parseOr400(reply, idParams, req.params);
      if (!p) return reply;
      const row = await sourcesQ.getSource(deps.db, p.id);
      return row ? sourceJson(row) : notFound(reply, `source ${p.id}`);
    },
  );

  app.post(
    '/api/v1/sources',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'add a source (the same validation as `finrep sources add`)',
        body: DEFINITION,
        response: { 201: SOURCE, 400: ERROR_REPLY, 409: ERROR_REPLY },
      },
    },
    async (req, reply) => {
      const def = definitionOr400(reply, req.body);
      if (!def) return reply;
      const key = def.key ?? derivedKey(def.kind, def.url);
      if (await sourcesQ.findSourceByKey(deps.db, key))
        return reply.code(409).send({ error: 'conflict', message: `a source with key ${key} exists` });
      const row = await sourcesQ.createSource(deps.db, { ...def, key });
      await auditWeb(req, deps, 'source.add', `source:${row.id}`, { after: sourceJson(row) });
      return reply.code(201).send(sourceJson(row));
    },
  );

  app.put(
    '/api/v1/sources/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: "replace a source's definition",
        params: jsonSchema(idParams),
        body: DEFINITION,
        response: { 200: SOURCE, 400: ERROR_REPLY, 404: ERROR_REPLY, 409: ERROR_REPLY },
      },
    },
    async (req, reply) => {
      const p = parseOr400(reply, idParams, req.params);
      if (!p) return reply;
      const def = definitionOr400(reply, req.body);
      if (!def) return reply;
      const before = await sourcesQ.getSource(deps.db, p.id);
      if (!before) return notFound(reply, `source ${p.id}`);
      const key = def.key ?? before.key ?? derivedKey(def.kind, def.url);
      const clash = key !== before.key ? await sourcesQ.findSourceByKey(deps.db, key) : null;
      if (clash) return reply.code(409).send({ error: 'conflict', message: `a source with key ${key} exists` });
      const row = (await sourcesQ.updateSource(deps.db, p.id, { ...def, key }))!;
      await auditWeb(req, deps, 'source.edit', `source:${row.id}`, {
        before: sourceJson(before),
        after: sourceJson(row),
      });
      return sourceJson(row);
    },
  );

  const force = z.object({ force: z.enum(['true', 'false']).optional() });
  app.delete(
    '/api/v1/sources/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'delete a source (409 while it has stored articles, unless ?force=true)',
        params: jsonSchema(idParams),
        querystring: jsonSchema(force),
        response: { 204: { type: 'null' }, 404: ERROR_REPLY, 409: ERROR_REPLY },
      },
    },
    async (req, reply) => {
      const p = parseOr400(reply, idParams, req.params);
      const q = p && parseOr400(reply, force, req.query);
      if (!p || !q) return reply;
      const row = await sourcesQ.getSource(deps.db, p.id);
      if (!row) return notFound(reply, `source ${p.id}`);
      const n = await sourcesQ.countSourceArticles(deps.db, row.id);
      if (n > 0 && q.force !== 'true')
        return reply.code(409).send({
          error: 'conflict',
          message: `source ${row.id} has ${n} stored articles; disable it, or delete with ?force=true`,
        });
      await sourcesQ.deleteSource(deps.db, row.id);
      await auditWeb(req, deps, 'source.remove', `source:${row.id}`, { before: sourceJson(row), articles: n });
      return reply.code(204).send();
    },
  );
};
