/**
 * The mutable state behind one provider face: the accounts merchants have
 * configured, the test knobs, the log of API calls received, and the webhook
 * sender. `POST /_sandbox/reset` puts all of it back to the start.
 */
import type { Account, Face, FaceContext, ProviderName, WebhookSenderOptions } from './common.ts';
import { WebhookSender } from './common.ts';

export interface Knobs {
  /** Added before every API answer. */
  latencyMs: number;
  /** Answer 503 (in the provider's error shape) to the next n API calls. */
  failNext: number;
  /** Never answer the next n API calls; the client has to time out. */
  hangNext: number;
  /** Every payment on the checkout page is declined, whatever the customer clicks. */
  declineAll: boolean;
  /** Delays before each webhook retry. */
  webhookRetryDelaysMs: readonly number[];
  /** Complete payments without sending their webhooks (held until `POST …/webhooks/release`). */
  holdWebhooks: boolean;
  /** Send each webhook only this long after the payment completed. */
  webhookDelayMs: number;
  /**
   * How the next refunds end at the provider: `succeed` (the provider's usual course), `fail`
   * (the provider fails it: money back to the merchant's balance), `hold` (stays pending until
   * `POST …/refunds/{id}/complete`), `action` (needs something: Paystack `needs-attention`,
   * Stripe `requires_action`; Flutterwave and Chapa have no such state and hold instead).
   */
  refundOutcome: RefundOutcome;
  /** How long a refund the provider queues (Paystack, Chapa, a pending Stripe one) takes to finish. */
  refundDelayMs: number;
}

export type RefundOutcome = 'succeed' | 'fail' | 'hold' | 'action';
export const refundOutcomes: readonly RefundOutcome[] = ['succeed', 'fail', 'hold', 'action'];

/** One API call as `GET /_sandbox/{provider}/calls` shows it: no headers, no body, so no secrets. */
export interface CallRecord {
  readonly method: string;
  /** The provider's path and query, e.g. `/transaction/verify/ref_1`. */
  readonly path: string;
  readonly at: string;
  /** The status answered; undefined while pending or when the call was left hanging. */
  status?: number;
}

export interface RuntimeOptions {
  readonly webhookRetryDelaysMs: readonly number[];
  readonly webhookTimeoutMs: number;
  readonly log?: (line: string) => void;
}

export class ProviderRuntime {
  readonly accounts = new Map<string, Account>();
  readonly calls: CallRecord[] = [];
  readonly webhooks: WebhookSender;
  readonly face: Face;
  knobs: Knobs;

  readonly name: ProviderName;
  private readonly options: RuntimeOptions;

  constructor(
    name: ProviderName,
    createFace: (context: FaceContext) => Face,
    baseUrl: () => string,
    options: RuntimeOptions,
  ) {
    this.name = name;
    this.options = options;
    this.knobs = this.initialKnobs();
    const senderOptions: WebhookSenderOptions = {
      retryDelaysMs: () => this.knobs.webhookRetryDelaysMs,
      timeoutMs: options.webhookTimeoutMs,
      dispatch: () => ({ hold: this.knobs.holdWebhooks, delayMs: this.knobs.webhookDelayMs }),
      ...(options.log ? { log: options.log } : {}),
    };
    this.webhooks = new WebhookSender(senderOptions);
    this.face = createFace({
      baseUrl,
      account: (secretKey) => this.accounts.get(secretKey),
      webhooks: this.webhooks,
      knobs: () => this.knobs,
    });
  }

  recordCall(method: string, path: string): CallRecord {
    const call: CallRecord = { method, path, at: new Date().toISOString() };
    this.calls.push(call);
    return call;
  }

  reset(): void {
    this.accounts.clear();
    this.calls.length = 0;
    this.webhooks.clear();
    this.face.reset();
    this.knobs = this.initialKnobs();
  }

  private initialKnobs(): Knobs {
    return {
      latencyMs: 0,
      failNext: 0,
      hangNext: 0,
      declineAll: false,
      webhookRetryDelaysMs: this.options.webhookRetryDelaysMs,
      holdWebhooks: false,
      webhookDelayMs: 0,
      refundOutcome: 'succeed',
      refundDelayMs: 50,
    };
  }
}
