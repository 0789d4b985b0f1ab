import type { Mode } from '#core/actor';
import { ProviderFailed } from '#core/errors';
import type { Payment, PaymentGateway, RoutableProvider } from '#core/payments';
import type { ProviderName, RefundResult, VerifyResult } from '#core/provider-adapter';
import type { Refund, RefundGateway } from '#core/refunds';
import { roundTrip } from './conditions.ts';

/** A provider outage of the kind failover skips (a timeout, a 5xx). */
export const providerDown = (provider: ProviderName) =>
  new ProviderFailed('provider_unavailable', `${provider} answered 503.`, true);
/** A provider refusing the request itself (a 4xx): trying elsewhere does not help. */
export const providerRefused = (provider: ProviderName) =>
  new ProviderFailed('provider_rejected', `${provider} refused the request.`, false);

/** Stand-in for `ProviderAdapter.currencies` (the domain is tested given the port's answer, not the adapters'). */
export const fixtureCurrencies: Readonly<Record<ProviderName, readonly string[]>> = {
  paystack: ['NGN', 'GHS', 'ZAR', 'KES', 'USD', 'XOF'],
  flutterwave: ['NGN', 'GHS', 'KES', 'UGX', 'RWF', 'ZAR', 'USD', 'EUR', 'GBP', 'XOF', 'ETB'],
  stripe: ['USD', 'EUR', 'GBP', 'NGN', 'KES', 'ZAR', 'JPY', 'ETB'],
  chapa: ['ETB', 'USD'],
};

export interface GatewayCall {
  op: 'enabledProviders' | 'initialize' | 'verify' | 'expire';
  provider?: ProviderName;
  reference?: string;
  paymentId?: string;
}

/**
 * The payments domain's provider port, scripted: which providers a merchant
 * has enabled, what each initialise does (a checkout, an outage, a refusal),
 * and what each provider's verify API says about a payment (pending until the
 * test says it was paid, declined, …). Every call is recorded.
 */
export class FakeGateway implements PaymentGateway {
  readonly calls: GatewayCall[] = [];
  private enabled: RoutableProvider[];
  private readonly initializeFailures = new Map<ProviderName, ProviderFailed>();
  private readonly verdicts = new Map<string, VerifyResult | ProviderFailed>();

  constructor(enabled: readonly ProviderName[] = ['paystack', 'flutterwave', 'stripe', 'chapa']) {
    this.enabled = enabled.map((provider) => ({ provider, currencies: [...fixtureCurrencies[provider]] }));
  }

  /** The merchant's enabled providers (as routing sees them). */
  enable(list: readonly RoutableProvider[]): void {
    this.enabled = list.map((p) => ({ provider: p.provider, currencies: [...p.currencies] }));
  }

  /** Makes every initialise at `provider` fail with `error` (undefined: work again). */
  failInitialize(provider: ProviderName, error: ProviderFailed | undefined): void {
    if (error) this.initializeFailures.set(provider, error);
    else this.initializeFailures.delete(provider);
  }

  /** What the provider's verify API says about the payment's attempt from now on (or the error it throws). */
  setVerdict(payment: Pick<Payment, 'attemptReference'>, verdict: VerifyResult | ProviderFailed): void {
    this.verdicts.set(payment.attemptReference, verdict);
  }

  /** The customer paid: `amount`/`currency` default to what was asked. */
  pay(
    payment: Pick<Payment, 'attemptReference' | 'amount' | 'currency'>,
    paid: { amount?: number; currency?: string; fee?: number; chargeId?: string } = {},
  ): void {
    this.setVerdict(payment, {
      status: 'succeeded',
      amount: paid.amount ?? payment.amount,
      currency: paid.currency ?? payment.currency,
      providerStatus: 'success',
      chargeId: paid.chargeId ?? `ch_${payment.attemptReference}`,
      ...(paid.fee === undefined ? {} : { fee: paid.fee }),
    });
  }

  /** The provider declined the payment with `reason`. */
  decline(payment: Pick<Payment, 'attemptReference' | 'amount' | 'currency'>, reason: string): void {
    this.setVerdict(payment, {
      status: 'failed',
      amount: payment.amount,
      currency: payment.currency,
      providerStatus: 'failed',
      failureReason: reason,
    });
  }

  async enabledProviders(_merchantId: string, _mode: Mode): Promise<RoutableProvider[]> {
    await roundTrip();
    this.calls.push({ op: 'enabledProviders' });
    return this.enabled.map((p) => ({ ...p, currencies: [...p.currencies] }));
  }

  async initialize(
    _merchantId: string,
    _mode: Mode,
    provider: ProviderName,
    input: { reference: string },
  ): Promise<{ providerReference: string; checkoutUrl: string }> {
    await roundTrip();
    this.calls.push({ op: 'initialize', provider, reference: input.reference });
    const failure = this.initializeFailures.get(provider);
    if (failure) throw failure;
    return {
      providerReference: `${provider}_${input.reference}`,
      checkoutUrl: `https://checkout.example/${provider}/${input.reference}`,
    };
  }

  async verify(_merchantId: string, _mode: Mode, payment: Payment): Promise<VerifyResult> {
    await roundTrip();
    this.calls.push({ op: 'verify', provider: payment.provider, paymentId: payment.id });
    const verdict = this.verdicts.get(payment.attemptReference);
    if (verdict instanceof ProviderFailed) throw verdict;
    return (
      verdict ?? {
        status: 'pending',
        amount: payment.amount,
        currency: payment.currency,
        providerStatus: 'pending',
      }
    );
  }

  async expire(_merchantId: string, _mode: Mode, payment: Payment): Promise<void> {
    await roundTrip();
    this.calls.push({ op: 'expire', provider: payment.provider, paymentId: payment.id });
  }

  /** The calls of one kind, in order. */
  callsOf(op: GatewayCall['op']): GatewayCall[] {
    return this.calls.filter((c) => c.op === op);
  }
}

/** A refund as the provider keeps it, found again by our refund id (every adapter can look it up so). */
interface ProviderRefund {
  result: RefundResult;
}

/**
 * The refunds domain's provider port: refunds the provider keeps by our refund
 * id (so a lost answer is found again by lookup, as every adapter does), with
 * scripted failures and a way to settle a refund at the provider later.
 */
export class FakeRefundGateway implements RefundGateway {
  readonly submitted: string[] = [];
  private readonly refunds = new Map<string, ProviderRefund>();
  private nextFailure: { error: ProviderFailed; afterCreate: boolean } | undefined;
  /** What a new refund looks like at the provider right after it is created. */
  initialStatus: RefundResult['status'] = 'pending';

  /** The next refund call fails with `error`; with `afterCreate`, the provider made the refund but the answer was lost. */
  failNextRefund(error: ProviderFailed, afterCreate = false): void {
    this.nextFailure = { error, afterCreate };
  }

  /** The provider finishes a refund: its lookup says so from now on. */
  settle(
    refundId: string,
    status: RefundResult['status'],
    detail: { failureReason?: string; nextAction?: string } = {},
  ): void {
    const found = this.refunds.get(refundId);
    if (!found) throw new Error(`the provider has no refund ${refundId}`);
    found.result = { ...found.result, status, providerStatus: status, ...detail };
  }

  /** Whether the provider has a refund for our id. */
  has(refundId: string): boolean {
    return this.refunds.has(refundId);
  }

  async refund(_payment: Payment, refund: Refund): Promise<RefundResult> {
    await roundTrip();
    this.submitted.push(refund.id);
    const failure = this.nextFailure;
    this.nextFailure = undefined;
    if (failure && !failure.afterCreate) throw failure.error;
    // Idempotent on our refund id: a second submission returns the first refund.
    const existing = this.refunds.get(refund.id);
    const made = existing ?? {
      result: {
        status: this.initialStatus,
        providerRefundId: `prf_${refund.id}`,
        amount: refund.amount,
        providerStatus: this.initialStatus,
      },
    };
    this.refunds.set(refund.id, made);
    if (failure) throw failure.error;
    return { ...made.result };
  }

  async lookup(_payment: Payment, refund: Refund): Promise<RefundResult | undefined> {
    await roundTrip();
    const found = this.refunds.get(refund.id);
    return found && { ...found.result };
  }
}
