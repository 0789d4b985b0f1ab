import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capturePostings } from '#core/ledger';
import { createRefund, syncRefund, type Refund } from '#core/refunds';
import { ConditionRefused, transact } from '#test/memory/conditions';
import { apiCaller, memoryWorld, meta } from '#test/memory/world';

const runs = Number(process.env.FUZZ_RUNS ?? 25);

describe('the ledger, as payments and refunds go through the domain', () => {
  it('balances every posting and agrees with captured − fees − succeeded refunds, whatever happens', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            amount: fc.integer({ min: 100, max: 10_000_000 }),
            fee: fc.option(fc.integer({ min: 0, max: 50_000 }), { nil: undefined }),
            refunds: fc.array(
              fc.record({
                share: fc.integer({ min: 1, max: 100 }),
                end: fc.constantFrom('succeeded', 'failed', 'open'),
              }),
              { maxLength: 4 },
            ),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (plan) => {
          const world = memoryWorld();
          let expectedAvailable = 0;
          let expectedPending = 0;
          for (const step of plan) {
            const payment = await world.paid({ amount: step.amount }, step.fee);
            expectedAvailable += step.amount - Math.min(step.fee ?? 0, step.amount);
            for (const [i, r] of step.refunds.entries()) {
              const left =
                (await world.payments.getPayment('mer_A', 'test', payment.id))?.refundableAmount ?? 0;
              const amount = Math.min(left, Math.max(1, Math.floor((step.amount * r.share) / 100)));
              if (amount <= 0) continue;
              const out = await createRefund(
                world.refundDeps,
                apiCaller(),
                payment.id,
                { amount },
                `r-${i}`,
                meta,
              );
              const refund = out.body as Refund;
              if (r.end === 'open') {
                expectedPending += amount;
                continue;
              }
              world.refundGateway.settle(refund.id, r.end);
              expect(await syncRefund(world.refundDeps, 'mer_A', 'test', refund.id)).toBe('moved');
              if (r.end === 'succeeded') expectedAvailable -= amount;
            }
          }
          const postings = await world.ledger.allPostings('mer_A', 'test');
          for (const p of postings) expect(p.lines.reduce((s, l) => s + l.amount, 0)).toBe(0);
          const problems = await world.ledger.check(
            'mer_A',
            'test',
            await world.payments.list('mer_A', 'test'),
            await world.refunds.list('mer_A', 'test'),
          );
          expect(problems).toEqual([]);
          expect(await world.ledger.balances('mer_A', 'test')).toEqual([
            {
              provider: 'paystack',
              currency: 'NGN',
              available: expectedAvailable,
              pendingRefunds: expectedPending,
            },
          ]);
        },
      ),
      { numRuns: runs },
    );
  });

  it('never posts the same cause twice: a retried write fails whole and leaves the balance alone', async () => {
    const world = memoryWorld();
    const payment = await world.paid({ amount: 10_000 }, 150);
    const before = await world.ledger.balances('mer_A', 'test');
    const again = capturePostings(payment, 10_000, 150, world.clock.iso());
    expect(() => transact(world.ledger.items(again))).toThrow(ConditionRefused);
    expect(await world.ledger.balances('mer_A', 'test')).toEqual(before);
    expect(await world.ledger.allPostings('mer_A', 'test')).toHaveLength(2);
  });

  it('keeps merchants, modes, providers and currencies apart', async () => {
    const world = memoryWorld();
    await world.paid({ amount: 1_000 });
    await world.paid({ amount: 2_000, currency: 'USD', provider: 'stripe' });
    await world.paid({ amount: 4_000 }, undefined, apiCaller('mer_A', 'live'));
    await world.paid({ amount: 8_000 }, undefined, apiCaller('mer_B', 'test'));
    expect(await world.ledger.balances('mer_A', 'test')).toEqual([
      { provider: 'paystack', currency: 'NGN', available: 1_000, pendingRefunds: 0 },
      { provider: 'stripe', currency: 'USD', available: 2_000, pendingRefunds: 0 },
    ]);
    expect(await world.ledger.balances('mer_A', 'live')).toEqual([
      { provider: 'paystack', currency: 'NGN', available: 4_000, pendingRefunds: 0 },
    ]);
    expect((await world.ledger.allPostings('mer_B', 'test')).map((p) => p.amount)).toEqual([8_000]);
  });
});
