import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { sweep, type SweepReport } from '#core/reconciliation';
import { logger } from '#runtime/logger';
import { reconciliation } from '#app/reconciliation';
import { emitCount } from '#app/silence';

/** The EMF metric counting the sweeper's failed checks (dimension `Worker`). */
export const sweepErrorsMetric = 'SweepErrors';

/**
 * The reconciliation sweeper, run on a schedule (EventBridge every minute in the
 * cloud; `npm start` runs it every `RECONCILE_INTERVAL_SECONDS`): asks the
 * provider about every payment whose next check is due, through the one settle
 * path, so a lost webhook, a silent decline or an abandoned checkout is resolved
 * without anyone telling us. Overlapping runs are harmless: every move is a
 * conditional transaction.
 */
export const handler = middy(async (_event: unknown, _context: Context): Promise<SweepReport> => {
  const report = await sweep(reconciliation);
  if (report.errors > 0) {
    // Failed checks are retried later (backing off), so the run itself succeeds: they are
    // reported here, at WARN with why, and counted as `PayBridge/SweepErrors` (alarmed in lib/api-stack.ts).
    logger.warn('reconciliation sweep: checks failed', { ...report });
    emitCount(sweepErrorsMetric, { Worker: 'reconcile-payments' }, report.errors);
  } else if (report.due > 0) logger.info('reconciliation sweep', { ...report });
  return report;
}).use(injectLambdaContext(logger, { resetKeys: true }));
