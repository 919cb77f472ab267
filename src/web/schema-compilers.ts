import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompileSchema = (route: object) => SchemaFunction;
type SchemaFunction = ((data: unknown) => unknown) & { errors?: unknown };
type CompilerFactory = (externalSchemas: unknown, options: unknown) => CompileSchema;
type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * Fastify's schema compilers — ajv for requests, fast-json-stringify for replies — loaded and run when a
 * route's schema is first used instead of when the server is built: Fastify requires both as it is created
 * (~0.2 s of CPU), and the /api/v1 routes validate with zod anyway (routes/api-common.ts). A schema error
 * therefore shows on the route's first request, not at start-up.
 */
export function lazyCompilers(): CompilersFactory {
  // Fastify's own dependencies, resolved from fastify as it resolves them.
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  const factories = {
    buildValidator: lazyFactory(() => (fromFastify('@fastify/ajv-compiler') as () => CompilerFactory)()),
    buildSerializer: lazyFactory(() =>
      (fromFastify('@fastify/fast-json-stringify-compiler') as () => CompilerFactory)(),
    ),
  };
  // The functions returned wrap the compilers' own; Fastify only calls them (and reads `errors`).
  return factories as unknown as CompilersFactory;
}

function lazyFactory(load: () => CompilerFactory): CompilerFactory {
  let factory: CompilerFactory | undefined;
  return (externalSchemas, options) => {
    let compile: CompileSchema | undefined;
    return (route) => {
      let compiled: SchemaFunction | undefined;
      const lazy: SchemaFunction = (data) => {
        compiled ??= (compile ??= (factory ??= load())(externalSchemas, options))(route);
        const result = compiled(data);
        // Fastify reads a failed validation's reasons from the function, as ajv leaves them.
        lazy.errors = compiled.errors;
        return result;
      };
      return lazy;
    };
  };
}
