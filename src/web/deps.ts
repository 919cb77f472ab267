import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import type { Logger } from '../log.ts';

/** What the web server is built from: nothing global, everything passed in. */
export interface WebDeps {
  config: Config;
  db: Db;
  log: Logger;
  /** Signs sessions, mail links and seals TOTP secrets: JWT_SECRET_KEY or the data folder's secret.key. */
  secret: string;
}

/** One route file: registers its route(s) on the app. Listed in routes/index.ts. */
export type WebRoute = (app: FastifyInstance, deps: WebDeps) => void | Promise<void>;
