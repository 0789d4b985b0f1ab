import { describe, expect, it } from 'vitest';
import {
  availability,
  newPaymentLink,
  newSlug,
  type PaymentLink,
  paymentInputFor,
  submissionKey,
} from '#core/payment-links';
import { createPayment } from '#core/payments';
import { ManualClock } from '#test/memory/clock';
import { ConditionRefused } from '#test/memory/conditions';
import { MemoryPaymentLinks } from '#test/memory/payment-links';
import { apiCaller, memoryWorld, meta } from '#test/memory/world';

function linksWorld(maxPayments: number | null = null) {
  const world = memoryWorld();
  const links = new MemoryPaymentLinks(world.payments);
  const clock = new ManualClock();
  const link = newPaymentLink(
    'plink_01JXAMPLE0000000000000000L',
    newSlug(),
    'mer_A',
    'test',
    { title: 'T-shirt', amount: 750_000, currency: 'NGN', ...(maxPayments === null ? {} : { maxPayments }) },
    clock.now(),
  );
  return { world, links, clock, link };
}

const audit = { actor: { kind: 'anonymous' } as const, meta };

describe('payment link submissions', () => {
  it('hands the last payment of a limited link to exactly one of many concurrent customers', async () => {
    const { links, link } = linksWorld(1);
    await links.insertPaymentLink(link, audit);
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => links.claimSubmission(link, `token-${i}`, new Date())),
    );
    expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c === 'unavailable')).toHaveLength(7);
    const stored = (await links.getPaymentLink('mer_A', 'test', link.id)) as PaymentLink;
    expect(stored.paymentsCount).toBe(1);
    expect(availability(stored, new Date())).toBe('exhausted');
  });

  it('counts a double tap once, and gives a released claim back for the same token to retry', async () => {
    const { links, link } = linksWorld(1);
    await links.insertPaymentLink(link, audit);
    expect(await links.claimSubmission(link, 'tap', new Date())).toBe('claimed');
    expect(await links.claimSubmission(link, 'tap', new Date())).toBe('already_claimed');
    await links.releaseSubmission(link, 'tap');
    expect((await links.getPaymentLink('mer_A', 'test', link.id))?.paymentsCount).toBe(0);
    expect(await links.claimSubmission(link, 'tap', new Date())).toBe('claimed');
    // Releasing twice gives back one slot only.
    await links.releaseSubmission(link, 'tap');
    await links.releaseSubmission(link, 'tap');
    expect((await links.getPaymentLink('mer_A', 'test', link.id))?.paymentsCount).toBe(0);
  });

  it('takes no payment through a link turned off', async () => {
    const { links, link } = linksWorld();
    await links.insertPaymentLink(link, audit);
    const off = await links.updatePaymentLink('mer_A', 'test', link.id, { active: false }, new Date(), audit);
    expect(off).toMatchObject({ active: false });
    expect(await links.claimSubmission(link, 'late', new Date())).toBe('unavailable');
    expect(
      await links.updatePaymentLink('mer_B', 'test', link.id, { active: true }, new Date(), audit),
    ).toBeUndefined();
  });

  it('refuses a second link with a slug already in use, and finds a link by its slug only', async () => {
    const { links, link } = linksWorld();
    await links.insertPaymentLink(link, audit);
    await expect(
      links.insertPaymentLink({ ...link, id: 'plink_01JXAMPLE0000000000000000M' }, audit),
    ).rejects.toBeInstanceOf(ConditionRefused);
    expect((await links.findPaymentLinkBySlug(link.slug))?.id).toBe(link.id);
    expect(await links.findPaymentLinkBySlug(newSlug())).toBeUndefined();
  });

  it('turns a submission into one payment of the link, found again by its idempotency key', async () => {
    const { world, links, link } = linksWorld();
    await links.insertPaymentLink(link, audit);
    const key = submissionKey(link.id, 'form-token');
    const input = paymentInputFor(link, {
      amount: 750_000,
      email: 'buyer@example.com',
      provider: 'paystack',
      doneUrl: 'https://pay.example/done',
    });
    const first = await createPayment(world.paymentDeps, apiCaller(), input, key, meta);
    const again = await createPayment(world.paymentDeps, apiCaller(), input, key, meta);
    expect(again.replayed).toBe(true);
    const id = (first.body as { id: string }).id;
    expect(await links.paymentOfSubmission('mer_A', 'test', key)).toBe(id);
    expect(await world.payments.getPayment('mer_A', 'test', id)).toMatchObject({
      paymentLinkId: link.id,
      description: 'T-shirt',
    });
  });
});
