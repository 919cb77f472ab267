import { ConfigError } from '../config/index.ts';
import { DeliverError } from '../deliver/mailer.ts';
import { PermanentError } from '../pipeline/errors.ts';

/**
 * Whether a job's failure is one no retry can mend, so that the queue fails the job at once: the pipeline's
 * {@link PermanentError}, a delivery that cannot start (`DeliverError`: no composed report, no transport) and
 * a configuration error.
 */
export function isPermanent(err: unknown): boolean {
  return err instanceof PermanentError || err instanceof DeliverError || err instanceof ConfigError;
}
