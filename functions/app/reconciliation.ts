import type { SweepDeps } from '#core/reconciliation';
import { syncRefund } from '#core/refunds';
import { duePayments, recordCheck } from '#store/reconciliation';
import { reconcileSettings } from '#runtime/config';
import { payments } from '#app/payments';
import { refunds } from '#app/refunds';
import { onSweeperSettled } from '#app/silence';

/**
 * The reconciliation sweeper's ports (core/reconciliation.ts `sweep`), wired once
 * per cold start: the payments and refunds areas, the sparse due index, and the
 * provider-silence count. The schedule is read on each run (`RECONCILE_SCHEDULE`).
 */
export const reconciliation: SweepDeps = {
  payments,
  get settings() {
    return reconcileSettings();
  },
  due: duePayments,
  recordCheck,
  onSettled: onSweeperSettled,
  syncRefund: (ref) => syncRefund(refunds, ref.merchantId, ref.mode, ref.paymentId),
};
