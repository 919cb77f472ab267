import type { WebRoute } from '../deps.ts';
import { pageContext, sendPage } from '../render.ts';
import type { DocOperation, DocSchema } from '../views/api-docs.tsx';

interface OpenApiOperation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: DocSchema; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: DocSchema }> };
  responses?: Record<string, { description?: string }>;
}

interface OpenApiDocument {
  info?: { title?: string; version?: string };
  paths?: Record<string, Record<string, OpenApiOperation>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * The operations of an OpenAPI document in the page's form, each with the role the auth layer gave its
 * route (`/api/v1/sources/{id}` in the document is `/api/v1/sources/:id` in the route table).
 */
export function docOperations(doc: OpenApiDocument, access: (method: string, url: string) => string): DocOperation[] {
  const ops: DocOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const body = op.requestBody?.content?.['application/json']?.schema ?? null;
      ops.push({
        method: method.toUpperCase(),
        path,
        summary: op.summary ?? op.description ?? '',
        tag: op.tags?.[0] ?? 'api',
        access: access(method.toUpperCase(), path.replace(/\{(\w+)\}/g, ':$1')),
        params: (op.parameters ?? []).map((p) => ({
          name: p.name,
          in: p.in,
          required: p.required === true,
          schema: p.schema ?? {},
          ...(p.description ? { description: p.description } : {}),
        })),
        body,
        responses: Object.entries(op.responses ?? {}).map(([status, r]) => ({
          status,
          description: r.description ?? '',
        })),
      });
    }
  }
  return ops;
}

/** `GET /api/docs`: the API documented for people, drawn from the same OpenAPI document as /api/docs/json. */
export const apiDocs: WebRoute = (app) => {
  app.get('/api/docs', { schema: { hide: true } }, async (req, reply) => {
    const doc = (await app.openApiDocument()) as OpenApiDocument;
    const table = app.routeTable;
    const ops = docOperations(
      doc,
      (method, url) => table.find((r) => r.method === method && r.url === url)?.auth ?? 'admin',
    );
    const title = `${doc.info?.title ?? 'API'} v${doc.info?.version ?? '1'}`;
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) => h((await import('../views/api-docs.tsx')).ApiDocsPage, { ctx, title, ops }));
  });
};
