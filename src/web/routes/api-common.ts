/**
 * What every /api/v1 route file shares: zod validates requests (the same schemas as the CLI, so the same
 * words for the same mistake), the schemas' JSON Schema form documents them in OpenAPI 3.1, and errors have
 * one shape: `{ error, message, issues? }`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';

/** JSON Schema of a zod schema, as an OpenAPI 3.1 route schema wants it (no `$schema`). */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/**
 * Makes route schemas documentation only in this scope: zod checks the input in the handler (Fastify's
 * ajv would drop unknown fields silently instead of naming them), and replies are sent as they are.
 */
export function apiScope(app: FastifyInstance): void {
  app.setValidatorCompiler(() => (value) => ({ value }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/** One problem in a request: where and why. */
export interface ApiIssue {
  path: (string | number)[];
  message: string;
}

/** 400 with every problem named. */
export function invalid(reply: FastifyReply, issues: ApiIssue[]): FastifyReply {
  return reply.code(400).send({
    error: 'invalid',
    message: issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
    issues,
  });
}

/** Parses `input` with `schema`, or answers 400 and returns null. */
export function parseOr400<T>(reply: FastifyReply, schema: z.ZodType<T>, input: unknown): T | null {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  invalid(
    reply,
    r.error.issues.map((i) => ({
      path: i.path.filter((p): p is string | number => typeof p !== 'symbol'),
      message: i.message,
    })),
  );
  return null;
}

export function notFound(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(404).send({ error: 'not_found', message: `no ${what}` });
}

/** `{ id }` path parameters. */
export const idParams = z.object({ id: z.coerce.number().int().positive() });

/** The error replies every route may give, for the OpenAPI document. */
export const ERROR_REPLY = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
};
