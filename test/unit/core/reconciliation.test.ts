import { describe, expect, it, vi } from 'vitest';
import { ProviderFailed, Unprocessable } from '#core/errors';
import {
  canSettleLate,
  canTransition,
  type Payment,
  type PaymentChange,
  type PaymentDeps,
  reconcile,
} from '#core/payments';
import { type DueRef, nextCheckAt, retryAfterError, sweep, type SweepDeps } from '#core/reconciliation';
import type { VerifyResult } from '#core/provider-adapter';
import { reconcileIntervalMs, startScheduledWorker } from '#local/scheduled-workers';

const settings = { schedule: [60, 300, 900, 3600, 21600], lateWindowSeconds: 86_400 };
const created = '2026-11-23T09:00:00.000Z';
const expires = '2026-11-24T09:00:00.000Z';
const at = (iso: string) => new Date(iso);

describe('the sweeper’s schedule', () => {
  it('checks an open payment first 60 s after creation, then backs off 5 min, 15 min, 1 h and every 6 h', () => {
    const p = { status: 'pending' as const, createdAt: created, expiresAt: expires, checkCount: 0 };
    expect(nextCheckAt(p, at(created), settings)).toBe('2026-11-23T09:01:00.000Z');
    const now = at('2026-11-23T09:01:00.000Z');
    expect(nextCheckAt({ ...p, checkCount: 1 }, now, settings)).toBe('2026-11-23T09:06:00.000Z');
    expect(nextCheckAt({ ...p, checkCount: 3 }, now, settings)).toBe('2026-11-23T10:01:00.000Z');
    expect(nextCheckAt({ ...p, checkCount: 4 }, now, settings)).toBe('2026-11-23T15:01:00.000Z');
    expect(nextCheckAt({ ...p, checkCount: 9 }, now, settings)).toBe('2026-11-23T15:01:00.000Z');
  });

  it('never schedules an open payment’s check after its expiry', () => {
    const p = {
      status: 'pending' as const,
      createdAt: created,
      expiresAt: '2026-11-23T09:00:30.000Z',
      checkCount: 0,
    };
    expect(nextCheckAt(p, at(created), settings)).toBe('2026-11-23T09:00:30.000Z');
  });

  it('watches an expired payment for late money until the late window closes, then never again', () => {
    const p = { status: 'expired' as const, createdAt: created, expiresAt: expires, checkCount: 4 };
    expect(nextCheckAt(p, at(expires), settings)).toBe('2026-11-24T15:00:00.000Z');
    expect(nextCheckAt(p, at('2026-11-25T08:00:00.000Z'), settings)).toBe('2026-11-25T09:00:00.000Z');
    expect(nextCheckAt(p, at('2026-11-25T09:00:00.000Z'), settings)).toBeNull();
  });

  it('has nothing to check on a settled payment', () => {
    for (const status of ['succeeded', 'failed', 'requires_review', 'cancelled'] as const) {
      expect(
        nextCheckAt({ status, createdAt: created, expiresAt: expires, checkCount: 1 }, at(created), settings),
      ).toBeNull();
    }
  });
});

describe('reconcile', () => {
  const payment = { amount: 500000, currency: 'NGN' };
  const paid = (amount: number | undefined, currency: string | undefined) =>
    ({ status: 'succeeded', amount, currency, providerStatus: 'success' }) as const;

  it('settles exact money only', () => {
    expect(reconcile(payment, paid(500000, 'NGN'))).toEqual({
      status: 'succeeded',
      failureReason: null,
      amountMismatch: null,
    });
  });

  it('sends a lower, a higher, another-currency or an unreported amount to review with both amounts', () => {
    for (const [amount, currency] of [
      [400000, 'NGN'],
      [600000, 'NGN'],
      [500000, 'USD'],
      [undefined, undefined],
    ] as const) {
      expect(reconcile(payment, paid(amount, currency))).toEqual({
        status: 'requires_review',
        failureReason: 'amount_mismatch',
        amountMismatch: {
          expected: { amount: 500000, currency: 'NGN' },
          reported: { amount: amount ?? null, currency: currency ?? null },
        },
      });
    }
  });

  it('accepts an overpayment in the right currency only when the merchant opted in, and still reports it', () => {
    const optedIn = { ...payment, acceptOverpayment: true };
    expect(reconcile(optedIn, paid(600000, 'NGN'))).toMatchObject({
      status: 'succeeded',
      amountMismatch: { reported: { amount: 600000 } },
    });
    expect(reconcile(optedIn, paid(400000, 'NGN')).status).toBe('requires_review');
    expect(reconcile(optedIn, paid(600000, 'USD')).status).toBe('requires_review');
  });

  it('carries the provider’s decline reason, or its status word', () => {
    expect(
      reconcile(payment, {
        status: 'failed',
        amount: undefined,
        currency: undefined,
        providerStatus: 'failed',
        failureReason: 'Declined',
      }),
    ).toMatchObject({ status: 'failed', failureReason: 'Declined' });
    expect(
      reconcile(payment, {
        status: 'failed',
        amount: undefined,
        currency: undefined,
        providerStatus: 'reversed',
      }),
    ).toMatchObject({ status: 'failed', failureReason: 'reversed' });
  });
});

describe('states', () => {
  it('moves forward only, with late settlement of an expired payment as the one exception', () => {
    expect(canTransition('pending', 'requires_review')).toBe(true);
    expect(canTransition('expired', 'succeeded')).toBe(false);
    expect(canTransition('requires_review', 'succeeded')).toBe(false);
    expect(canSettleLate({ status: 'expired' })).toBe(true);
    expect(canSettleLate({ status: 'failed' })).toBe(false);
    expect(canSettleLate({ status: 'cancelled' })).toBe(false);
  });
});

describe('the sweeper’s schedule after a failed check', () => {
  const p = { status: 'pending' as const, createdAt: created, expiresAt: expires, checkCount: 0 };

  it('backs off along the schedule, counting the failed check, never past expiresAt', () => {
    const now = at('2026-11-23T09:01:00.000Z');
    expect(retryAfterError(p, now, settings)).toBe('2026-11-23T09:06:00.000Z');
    expect(retryAfterError({ ...p, checkCount: 2 }, now, settings)).toBe('2026-11-23T10:01:00.000Z');
    expect(retryAfterError({ ...p, checkCount: 7 }, at('2026-11-24T06:00:00.000Z'), settings)).toBe(expires);
  });

  it('past expiresAt, retries no later than expiresAt plus the last step (then the sweeper expires it)', () => {
    expect(retryAfterError({ ...p, checkCount: 1 }, at(expires), settings)).toBe('2026-11-24T09:15:00.000Z');
    expect(retryAfterError({ ...p, checkCount: 8 }, at(expires), settings)).toBe('2026-11-24T15:00:00.000Z');
    expect(retryAfterError({ ...p, checkCount: 8 }, at('2026-11-24T12:00:00.000Z'), settings)).toBe(
      '2026-11-24T15:00:00.000Z',
    );
  });

  it('stops watching an expired payment when the late window closes', () => {
    const gone = { ...p, status: 'expired' as const, checkCount: 9 };
    expect(retryAfterError(gone, at('2026-11-25T06:00:00.000Z'), settings)).toBe('2026-11-25T09:00:00.000Z');
    expect(retryAfterError(gone, at('2026-11-25T09:00:00.000Z'), settings)).toBeNull();
  });
});

/** One payment in memory behind the sweeper's ports, with a clock the test moves. */
function world(verify: (now: Date) => Promise<VerifyResult>) {
  let now = at(created);
  let payment = {
    id: 'pay_1',
    merchantId: 'mer_1',
    mode: 'test',
    status: 'pending',
    amount: 500000,
    currency: 'NGN',
    provider: 'paystack',
    acceptOverpayment: false,
    createdAt: created,
    expiresAt: expires,
    lastCheckedAt: null,
    nextCheckAt: nextCheckAt(
      { status: 'pending', createdAt: created, expiresAt: expires, checkCount: 0 },
      at(created),
      settings,
    ),
    checkCount: 0,
    failureReason: null,
    settledBy: null,
    lateSettlement: false,
    amountMismatch: null,
    version: 1,
  } as unknown as Payment;
  const moves: PaymentChange[] = [];
  const expire = vi.fn(() => Promise.reject(new ProviderFailed('provider_unavailable', 'down', true)));
  const getPayment = vi.fn(() => Promise.resolve(payment));
  const payments = {
    store: { getPayment },
    gateway: { verify: () => verify(now), expire },
    transition: (from: Payment, change: PaymentChange) => {
      if (from.version !== payment.version) return Promise.resolve('stale' as const);
      moves.push(change);
      payment = {
        ...payment,
        ...change,
        lastCheckedAt: change.checkedAt,
        version: payment.version + 1,
      };
      return Promise.resolve('recorded' as const);
    },
    now: () => now,
    nextCheck: (p: Payment, at: Date) => nextCheckAt(p, at, settings),
  } as unknown as PaymentDeps;
  const ref: DueRef = { merchantId: 'mer_1', mode: 'test', paymentId: 'pay_1' };
  const deps: SweepDeps = {
    payments,
    settings,
    due: (at) =>
      Promise.resolve(payment.nextCheckAt && Date.parse(payment.nextCheckAt) <= at.getTime() ? [ref] : []),
    recordCheck: (from, checkedAt, next, counted) => {
      if (from.version === payment.version) {
        payment = {
          ...payment,
          lastCheckedAt: checkedAt,
          nextCheckAt: next,
          checkCount: payment.checkCount + (counted ? 1 : 0),
        };
      }
      return Promise.resolve();
    },
    now: () => now,
  };
  return {
    deps,
    moves,
    expire,
    getPayment,
    payment: () => payment,
    /** Sweeps at each next check until none is left (bounded), as the minute-by-minute schedule would. */
    async run(limit = 50) {
      const sweeps: { at: number; report: Awaited<ReturnType<typeof sweep>> }[] = [];
      while (payment.nextCheckAt && sweeps.length < limit) {
        now = at(payment.nextCheckAt);
        sweeps.push({ at: (now.getTime() - Date.parse(created)) / 1000, report: await sweep(deps) });
      }
      return sweeps;
    },
  };
}

describe('a sweep whose provider cannot be asked', () => {
  const unconfigured = () =>
    Promise.reject(new Unprocessable('provider_not_configured', 'paystack is not configured.'));

  it('backs off, expires the payment locally once past expiresAt by the last step, watches it for late money until the late window closes, then stops', async () => {
    const w = world(unconfigured);
    const sweeps = await w.run();
    const h = 3600;
    expect(sweeps.map((s) => s.at)).toEqual([
      // Open: backing off along the schedule, the last check at expiresAt.
      60,
      360,
      1260,
      4860,
      26_460,
      48_060,
      69_660,
      24 * h,
      // Still unanswerable one last step later: expired without the provider's word.
      30 * h,
      // Expired: watched for late money until the late window closes, then out of the index.
      36 * h,
      42 * h,
      48 * h,
    ]);
    for (const s of sweeps) {
      expect(s.report).toMatchObject({ due: 1, errors: 1, errorReasons: { provider_not_configured: 1 } });
    }
    expect(sweeps.filter((s) => s.report.expiredLocally === 1).map((s) => s.at)).toEqual([30 * h]);
    expect(w.moves).toEqual([
      expect.objectContaining({ status: 'expired', settledBy: 'reconciliation', lateSettlement: false }),
    ]);
    // Ending the provider session was tried (Stripe's expire), and its failure changed nothing.
    expect(w.expire).toHaveBeenCalledTimes(1);
    expect(w.payment()).toMatchObject({ status: 'expired', nextCheckAt: null, checkCount: 11 });
  });

  it('loses no late money: a payment expired without the provider’s word settles late when the provider answers paid', async () => {
    let reachable = false;
    const w = world((now) =>
      reachable || now.getTime() > Date.parse(expires) + 7 * 3600_000
        ? ((reachable = true),
          Promise.resolve({
            status: 'succeeded',
            amount: 500000,
            currency: 'NGN',
            providerStatus: 'success',
          } as VerifyResult))
        : unconfigured(),
    );
    await w.run();
    expect(w.moves.map((m) => [m.status, m.lateSettlement])).toEqual([
      ['expired', false],
      ['succeeded', true],
    ]);
    expect(w.payment()).toMatchObject({ status: 'succeeded', lateSettlement: true, nextCheckAt: null });
  });

  it('never expires a payment before expiresAt plus the last step, however long the provider is down', async () => {
    const w = world(unconfigured);
    const sweeps = await w.run();
    const expiredAt = sweeps.find((s) => s.report.expiredLocally === 1)?.at ?? 0;
    expect(expiredAt * 1000).toBeGreaterThanOrEqual(
      Date.parse(expires) - Date.parse(created) + 21_600 * 1000 /* the last step */,
    );
  });

  it('leaves a refund whose sync failed due for the next round, without reading it as a payment', async () => {
    const w = world(unconfigured);
    const recordCheck = vi.fn(() => Promise.resolve());
    const report = await sweep({
      ...w.deps,
      due: () => Promise.resolve([{ merchantId: 'mer_1', mode: 'test', paymentId: 're_1' }]),
      recordCheck,
      syncRefund: () => Promise.reject(new ProviderFailed('provider_unavailable', 'down', true)),
    });
    expect(report).toMatchObject({ due: 1, errors: 1, errorReasons: { provider_unavailable: 1 } });
    expect(w.getPayment).not.toHaveBeenCalled();
    expect(recordCheck).not.toHaveBeenCalled();
  });
});

describe('npm start’s sweeper timer', () => {
  it('reads RECONCILE_INTERVAL_SECONDS, default 60 s, ignoring nonsense', () => {
    const saved = process.env.RECONCILE_INTERVAL_SECONDS;
    try {
      delete process.env.RECONCILE_INTERVAL_SECONDS;
      expect(reconcileIntervalMs()).toBe(60_000);
      process.env.RECONCILE_INTERVAL_SECONDS = '2';
      expect(reconcileIntervalMs()).toBe(2000);
      for (const bad of ['0', '-5', 'soon']) {
        process.env.RECONCILE_INTERVAL_SECONDS = bad;
        expect(reconcileIntervalMs()).toBe(60_000);
      }
    } finally {
      if (saved === undefined) delete process.env.RECONCILE_INTERVAL_SECONDS;
      else process.env.RECONCILE_INTERVAL_SECONDS = saved;
    }
  });

  it('runs the handler with a scheduled event every RECONCILE_INTERVAL_SECONDS, one run at a time', async () => {
    const saved = process.env.RECONCILE_INTERVAL_SECONDS;
    process.env.RECONCILE_INTERVAL_SECONDS = '3';
    vi.useFakeTimers();
    const runs: { event: { 'detail-type': string; source: string }; at: number }[] = [];
    const started = Date.now();
    const run = startScheduledWorker(
      { handler: 'workers/reconcile-payments.ts', timeoutSeconds: 55 },
      reconcileIntervalMs(),
      undefined,
      () =>
        Promise.resolve(async (event: { 'detail-type': string; source: string }) => {
          runs.push({ event, at: Date.now() - started });
          await new Promise((r) => setTimeout(r, 1000)); // a slow run delays the next, never overlaps
        }),
    );
    try {
      await vi.advanceTimersByTimeAsync(2999);
      expect(runs).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(runs).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(7000);
      expect(runs.map((r) => r.at)).toEqual([3000, 7000]);
      expect(runs[0]?.event).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
    } finally {
      const stopped = run.stop(); // waits for a run in progress
      await vi.advanceTimersByTimeAsync(1000);
      await stopped;
      vi.useRealTimers();
      if (saved === undefined) delete process.env.RECONCILE_INTERVAL_SECONDS;
      else process.env.RECONCILE_INTERVAL_SECONDS = saved;
    }
  });
});
