import type { Actor, Mode, RequestMeta } from '#core/actor';
import type { PaymentLink, UpdatePaymentLinkInput } from '#core/payment-links';
import type * as paymentLinksStore from '#store/payment-links';
import type { SlotClaim } from '#store/payment-links';
import { codesOf, copy, roundTrip, transact } from './conditions.ts';
import type { MemoryPayments } from './payments.ts';

/** The functions of store/payment-links.ts this adapter stands in for (type only: nothing of the store is loaded). */
type PaymentLinksPort = Pick<
  typeof paymentLinksStore,
  | 'insertPaymentLink'
  | 'getPaymentLink'
  | 'findPaymentLinkBySlug'
  | 'updatePaymentLink'
  | 'claimSubmission'
  | 'releaseSubmission'
  | 'paymentOfSubmission'
>;

interface Audit {
  actor: Actor;
  meta: RequestMeta;
}

const key = (merchantId: string, mode: Mode, id: string) => `${merchantId}#${mode}#${id}`;

/**
 * Payment links in memory, with the conditions of store/payment-links.ts: a
 * link and its slug are created only if neither exists; a form submission
 * claims one of the link's payments with its marker and the counter's
 * increment in one transaction, the increment conditioned on the link being
 * active and below `maxPayments` (never a read-then-write), so concurrent
 * customers on the last payment get one `claimed`; a released claim gives the
 * slot back.
 */
export class MemoryPaymentLinks implements PaymentLinksPort {
  private readonly links = new Map<string, PaymentLink>();
  private readonly slugs = new Map<string, { merchantId: string; mode: Mode; linkId: string }>();
  private readonly submissions = new Set<string>();
  readonly audits: { merchantId: string; action: string; linkId: string }[] = [];
  private readonly payments: MemoryPayments;

  constructor(payments: MemoryPayments) {
    this.payments = payments;
  }

  readonly insertPaymentLink = async (link: PaymentLink, _audit: Audit): Promise<void> => {
    await roundTrip();
    const k = key(link.merchantId, link.mode, link.id);
    transact([
      { condition: () => !this.links.has(k), write: () => this.links.set(k, copy(link)) },
      {
        condition: () => !this.slugs.has(link.slug),
        write: () =>
          this.slugs.set(link.slug, { merchantId: link.merchantId, mode: link.mode, linkId: link.id }),
      },
      {
        write: () =>
          this.audits.push({ merchantId: link.merchantId, action: 'payment_link.created', linkId: link.id }),
      },
    ]);
  };

  readonly getPaymentLink = async (
    merchantId: string,
    mode: Mode,
    linkId: string,
    _consistent = false,
  ): Promise<PaymentLink | undefined> => {
    await roundTrip();
    const found = this.links.get(key(merchantId, mode, linkId));
    return found && copy(found);
  };

  readonly findPaymentLinkBySlug = async (slug: string): Promise<PaymentLink | undefined> => {
    await roundTrip();
    const ref = this.slugs.get(slug);
    return ref && this.getPaymentLink(ref.merchantId, ref.mode, ref.linkId, true);
  };

  readonly updatePaymentLink = async (
    merchantId: string,
    mode: Mode,
    linkId: string,
    changes: UpdatePaymentLinkInput,
    now: Date,
    _audit: Audit,
  ): Promise<PaymentLink | undefined> => {
    await roundTrip();
    const k = key(merchantId, mode, linkId);
    const stored = this.links.get(k);
    if (!stored) return undefined;
    for (const field of ['active', 'title', 'description'] as const) {
      if (changes[field] !== undefined) Object.assign(stored, { [field]: changes[field] });
    }
    stored.updatedAt = now.toISOString();
    this.audits.push({ merchantId, action: 'payment_link.updated', linkId });
    return copy(stored);
  };

  readonly claimSubmission = async (link: PaymentLink, token: string, _now: Date): Promise<SlotClaim> => {
    await roundTrip();
    const marker = `${link.id}#${token}`;
    const k = key(link.merchantId, link.mode, link.id);
    try {
      transact([
        { condition: () => !this.submissions.has(marker), write: () => this.submissions.add(marker) },
        {
          condition: () => {
            const stored = this.links.get(k);
            return (
              stored !== undefined &&
              stored.active &&
              (stored.maxPayments === null || stored.paymentsCount < stored.maxPayments)
            );
          },
          write: () => {
            (this.links.get(k) as PaymentLink).paymentsCount += 1;
          },
        },
      ]);
      return 'claimed';
    } catch (error) {
      const [first, second] = codesOf(error);
      if (first === 'ConditionalCheckFailed') return 'already_claimed';
      if (second === 'ConditionalCheckFailed') return 'unavailable';
      throw error;
    }
  };

  readonly releaseSubmission = async (link: PaymentLink, token: string): Promise<void> => {
    await roundTrip();
    const marker = `${link.id}#${token}`;
    const k = key(link.merchantId, link.mode, link.id);
    try {
      transact([
        { condition: () => this.submissions.has(marker), write: () => this.submissions.delete(marker) },
        {
          condition: () => (this.links.get(k)?.paymentsCount ?? 0) > 0,
          write: () => {
            (this.links.get(k) as PaymentLink).paymentsCount -= 1;
          },
        },
      ]);
    } catch (error) {
      if (codesOf(error).length === 0) throw error;
    }
  };

  readonly paymentOfSubmission = async (
    merchantId: string,
    mode: Mode,
    idempotencyKey: string,
  ): Promise<string | undefined> =>
    (await this.payments.readIdempotency(merchantId, mode, idempotencyKey))?.paymentId;

  /** A merchant's links in one mode, newest first. */
  async list(merchantId: string, mode: Mode): Promise<PaymentLink[]> {
    await roundTrip();
    const prefix = `${merchantId}#${mode}#`;
    return [...this.links]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, l]) => copy(l))
      .sort((a, b) => b.id.localeCompare(a.id));
  }
}
