import type { FastifyReply, FastifyRequest } from 'fastify';
import { editionsQ } from '../../../db/queries/index.ts';
import type { EditionRow } from '../../../db/queries/editions.ts';
import { isIsoDate } from '../../../lib/time.ts';
import type { WebDeps } from '../../deps.ts';

/** The edition of the route's `:date`, or null after answering 404 (a malformed date too). */
export async function editionOr404(
  deps: WebDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  opts: { composed?: boolean } = {},
): Promise<EditionRow | null> {
  const { date } = req.params as { date: string };
  const edition = isIsoDate(date) ? await editionsQ.findEditionByDate(deps.db, date) : null;
  if (!edition || (opts.composed && !edition.model)) {
    await reply.callNotFound();
    return null;
  }
  return edition;
}

/** A form field as one trimmed string ('' when absent). */
export function field(req: FastifyRequest, name: string): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.trim() : '';
}

/** A query parameter as a string ('' when absent). */
export function queryParam(req: FastifyRequest, name: string): string {
  const v = (req.query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}
