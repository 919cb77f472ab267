import { Layout } from './layout.tsx';
import type { PageContext } from './layout.tsx';

/** The parts of a JSON Schema the page shows. */
export interface DocSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, DocSchema>;
  required?: string[];
  items?: DocSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  anyOf?: DocSchema[];
  oneOf?: DocSchema[];
}

/** One operation of the API as the page lists it (from the OpenAPI document and the route table). */
export interface DocOperation {
  method: string;
  path: string;
  summary: string;
  tag: string;
  /** The role the route needs (from the auth layer's route table). */
  access: string;
  params: { name: string; in: string; required: boolean; schema: DocSchema; description?: string }[];
  body: DocSchema | null;
  responses: { status: string; description: string }[];
}

const anchor = (op: DocOperation) => `${op.method}-${op.path}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');

function typeOf(s: DocSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map(typeOf).join(' | ');
  const t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
  if (t === 'array' && s.items) return `${typeOf(s.items)}[]`;
  return s.format ? `${t} (${s.format})` : t;
}

function limits(s: DocSchema): string {
  const out: string[] = [];
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) out.push(`length ≥ ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`length ≤ ${s.maxLength}`);
  if (s.minItems !== undefined) out.push(`items ≥ ${s.minItems}`);
  if (s.pattern) out.push(`/${s.pattern}/`);
  return out.join(', ');
}

/** The fields of an object schema as a nested list (objects inside arrays and objects are expanded). */
function Fields({ ctx, schema, depth = 0 }: { ctx: PageContext; schema: DocSchema; depth?: number }) {
  const alts = (schema.anyOf ?? schema.oneOf)?.filter((a) => a.properties);
  if (alts && alts.length > 0 && depth < 4) {
    // A union of objects (a source of each kind): each variant in turn, named by its constant field.
    return (
      <ul className="fields variants">
        {alts.map((alt, i) => {
          const fixed = (p: DocSchema) =>
            p.const !== undefined ? p.const : p.enum?.length === 1 ? p.enum[0] : undefined;
          const tagged = Object.entries(alt.properties ?? {}).find(([, p]) => fixed(p) !== undefined);
          return (
            <li key={i}>
              <span className="muted">
                {tagged ? `${tagged[0]} = ${JSON.stringify(fixed(tagged[1]))}` : `#${i + 1}`}
              </span>
              <Fields ctx={ctx} schema={alt} depth={depth + 1} />
            </li>
          );
        })}
      </ul>
    );
  }
  const props = Object.entries(schema.properties ?? {});
  if (props.length === 0) return <code>{typeOf(schema)}</code>;
  const required = new Set(schema.required ?? []);
  return (
    <ul className="fields">
      {props.map(([name, s]) => {
        const isObj = (x?: DocSchema) =>
          Boolean(x && (x.properties || (x.anyOf ?? x.oneOf)?.some((a) => a.properties)));
        const inner = s.type === 'array' && isObj(s.items) ? s.items! : isObj(s) ? s : null;
        const lim = limits(s);
        return (
          <li key={name}>
            <code className="name">{name}</code> <code className="type">{typeOf(s)}</code>
            {required.has(name) && <span className="tag req">{ctx.t('apidocs.required')}</span>}
            {s.default !== undefined && (
              <span className="muted">
                {' '}
                {ctx.t('apidocs.default')} <code>{JSON.stringify(s.default)}</code>
              </span>
            )}
            {lim && <span className="muted"> · {lim}</span>}
            {s.description && <div className="muted">{s.description}</div>}
            {inner && depth < 4 && <Fields ctx={ctx} schema={inner} depth={depth + 1} />}
          </li>
        );
      })}
    </ul>
  );
}

/** `/api/docs`: every /api/v1 operation with its access, parameters, body and answers, readable on a phone. */
export function ApiDocsPage({ ctx, title, ops }: { ctx: PageContext; title: string; ops: DocOperation[] }) {
  const { t } = ctx;
  const tags = [...new Set(ops.map((o) => o.tag))];
  return (
    <Layout ctx={ctx} title={t('apidocs.title')}>
      <section className="card wide api-docs">
        <h1>
          {t('apidocs.title')} · {title}
        </h1>
        <p>{t('apidocs.intro')}</p>
        <p>
          <a href="/api/docs/json">{t('apidocs.json')}</a>
        </p>
        <nav className="toc" aria-label={t('apidocs.contents')}>
          <ul>
            {ops.map((op) => (
              <li key={anchor(op)}>
                <a href={`#${anchor(op)}`}>
                  <span className={`method m-${op.method.toLowerCase()}`}>{op.method}</span> <code>{op.path}</code>
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {tags.map((tag) => (
          <section key={tag}>
            <h2>{tag}</h2>
            {ops
              .filter((o) => o.tag === tag)
              .map((op) => (
                <article key={anchor(op)} id={anchor(op)} className="op">
                  <h3>
                    <span className={`method m-${op.method.toLowerCase()}`}>{op.method}</span>{' '}
                    <code className="path">{op.path}</code>
                  </h3>
                  {op.summary && <p>{op.summary}</p>}
                  <p>
                    {t('apidocs.access')}:{' '}
                    <span className={`tag role-${op.access}`}>
                      {op.access === 'admin' ? t('role.admin') : op.access === 'viewer' ? t('role.viewer') : op.access}
                    </span>
                  </p>
                  {op.params.length > 0 && (
                    <>
                      <h4>{t('apidocs.params')}</h4>
                      <ul className="fields">
                        {op.params.map((p) => (
                          <li key={`${p.in}:${p.name}`}>
                            <code className="name">{p.name}</code> <span className="muted">({p.in})</span>{' '}
                            <code className="type">{typeOf(p.schema)}</code>
                            {p.required && <span className="tag req">{t('apidocs.required')}</span>}
                            {p.schema.default !== undefined && (
                              <span className="muted">
                                {' '}
                                {t('apidocs.default')} <code>{JSON.stringify(p.schema.default)}</code>
                              </span>
                            )}
                            {(p.description ?? p.schema.description) && (
                              <div className="muted">{p.description ?? p.schema.description}</div>
                            )}
                          </li>
                        ))}
                      </ul>
                    </>
                  )}
                  {op.body && (
                    <>
                      <h4>{t('apidocs.body')}</h4>
                      <Fields ctx={ctx} schema={op.body} />
                    </>
                  )}
                  <h4>{t('apidocs.responses')}</h4>
                  <ul className="fields">
                    {op.responses.map((r) => (
                      <li key={r.status}>
                        <code className="name">{r.status}</code> {r.description}
                      </li>
                    ))}
                  </ul>
                </article>
              ))}
          </section>
        ))}
      </section>
    </Layout>
  );
}
