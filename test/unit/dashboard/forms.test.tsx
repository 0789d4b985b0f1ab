// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  PayBridgeError,
  type ApiKeyWithSecret,
  type Payment,
  type PaymentActivity,
  type ProviderConfig,
  type Refund,
} from '#client';
import { transactionsQuery } from '../../../dashboard/src/pages/balance.tsx';
import { RefundForm, refundableRemainder, refundsQuery } from '../../../dashboard/src/pages/refunds.tsx';
import { CreateKeyForm } from '../../../dashboard/src/pages/api-keys.tsx';
import { paymentsQuery, timeline } from '../../../dashboard/src/pages/payments.tsx';
import { ProviderCard, WebhookHealth } from '../../../dashboard/src/pages/providers.tsx';
import { SignInPage } from '../../../dashboard/src/pages/sign-in.tsx';
import { StatusBadge } from '../../../dashboard/src/components/ui.tsx';
import type { Session } from '../../../dashboard/src/session.ts';

afterEach(cleanup);

/** Submits the form of the named button, as pressing it does. */
const submitWith = (name: string) =>
  fireEvent.submit(screen.getByRole('button', { name }).closest('form') as HTMLFormElement);

const apiError = (message: string, requestId: string) =>
  new PayBridgeError(
    422,
    { error: { type: 'invalid_request', code: 'weak_password', message, requestId } },
    new Headers(),
  );

describe('sign-in and sign-up form', () => {
  it('creates an account from the labelled fields', async () => {
    const signUp = vi.fn(async () => ({}) as Session);
    const signIn = vi.fn();
    const onSignedIn = vi.fn();
    render(<SignInPage onSignedIn={onSignedIn} api={{ signIn, signUp }} />);
    fireEvent.click(screen.getByRole('button', { name: 'Create an account instead' }));
    fireEvent.input(screen.getByLabelText('Email'), { target: { value: 'ada@example.com' } });
    fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'a long passphrase' } });
    fireEvent.input(screen.getByLabelText('Business name'), { target: { value: 'Ada Ltd' } });
    submitWith('Create account');
    await waitFor(() => expect(onSignedIn).toHaveBeenCalled());
    expect(signUp).toHaveBeenCalledWith({
      email: 'ada@example.com',
      password: 'a long passphrase',
      businessName: 'Ada Ltd',
    });
    expect(signIn).not.toHaveBeenCalled();
  });

  it('shows our error message and request id when sign-in fails', async () => {
    const signIn = vi.fn(async () => {
      throw apiError('Wrong email or password.', 'req-123');
    });
    const onSignedIn = vi.fn();
    render(<SignInPage onSignedIn={onSignedIn} api={{ signIn, signUp: vi.fn() }} />);
    fireEvent.input(screen.getByLabelText('Email'), { target: { value: 'a@b.co' } });
    fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'x' } });
    submitWith('Sign in');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Wrong email or password.');
    expect(alert.textContent).toContain('req-123');
    expect(onSignedIn).not.toHaveBeenCalled();
  });
});

describe('API key form', () => {
  it('creates a key with the typed name and chosen mode', async () => {
    const create = vi.fn(async () => ({ key: 'sk_live_x' }) as ApiKeyWithSecret);
    const onCreated = vi.fn();
    render(<CreateKeyForm defaultMode="test" create={create} onCreated={onCreated} />);
    fireEvent.input(screen.getByLabelText('Key name'), { target: { value: '  server ' } });
    fireEvent.change(screen.getByLabelText('Key mode'), { target: { value: 'live' } });
    submitWith('Create key');
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith({ key: 'sk_live_x' }));
    expect(create).toHaveBeenCalledWith('server', 'live', 'server');
  });

  it('asks for full scope only when chosen', async () => {
    const create = vi.fn(async () => ({ key: 'sk_test_x' }) as ApiKeyWithSecret);
    render(<CreateKeyForm defaultMode="test" create={create} onCreated={() => undefined} />);
    fireEvent.input(screen.getByLabelText('Key name'), { target: { value: 'ops' } });
    fireEvent.change(screen.getByLabelText('Key scope'), { target: { value: 'full' } });
    submitWith('Create key');
    await waitFor(() => expect(create).toHaveBeenCalledWith('ops', 'test', 'full'));
  });
});

describe('provider form', () => {
  const config: ProviderConfig = {
    provider: 'stripe',
    mode: 'test',
    enabled: true,
    currencies: ['USD'],
    webhookUrl: 'https://api.example/hooks/stripe/tok',
    secretKeyLast4: '4567',
    updatedAt: '2026-11-23T09:00:00.000Z',
  };

  it('never echoes a stored secret and empties the typed ones after saving', async () => {
    const save = vi.fn(async () => config);
    render(<ProviderCard provider="stripe" config={config} save={save} onSaved={() => undefined} />);
    const key = screen.getByLabelText<HTMLInputElement>('Stripe secret key');
    const hook = screen.getByLabelText<HTMLInputElement>(/Stripe webhook signing secret/);
    expect(key.value).toBe('');
    expect(key.type).toBe('password');
    fireEvent.input(key, { target: { value: 'sk_test_abc' } });
    fireEvent.input(hook, { target: { value: 'whsec_abc' } });
    submitWith('Save Stripe');
    await waitFor(() => expect(key.value).toBe(''));
    expect(hook.value).toBe('');
    expect(save).toHaveBeenCalledWith('sk_test_abc', 'whsec_abc');
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: 'Stripe webhook URL' }).value).toBe(
      config.webhookUrl,
    );
  });
});

describe('provider webhook health', () => {
  it('says in words when no webhook arrived, signatures were refused and only the sweeper settled', () => {
    render(
      <WebhookHealth
        name="Stripe"
        health={{
          lastWebhookAt: null,
          signatureFailures24h: 2,
          settledByWebhook: 0,
          settledByReconciliation: 3,
        }}
      />,
    );
    const region = screen.getByRole('region', { name: 'Stripe webhook health' });
    const values = Array.from(region.querySelectorAll('dd')).map((d) => d.textContent ?? '');
    expect(values[0]).toBe('none yet');
    expect(values[1]).toMatch(/^2 .*warning.*check the webhook secret/);
    expect(values[2]).toMatch(
      /^3 of your latest payment events \(0 settled by Stripe’s webhook\).*check the webhook URL/,
    );
  });

  it('shows no warning for a healthy provider', () => {
    render(
      <WebhookHealth
        name="Paystack"
        health={{
          lastWebhookAt: '2026-11-23T09:00:00.000Z',
          signatureFailures24h: 0,
          settledByWebhook: 5,
          settledByReconciliation: 1,
        }}
      />,
    );
    const region = screen.getByRole('region', { name: 'Paystack webhook health' });
    expect(region.textContent).not.toContain('warning');
    expect(region.querySelectorAll('dd')[0]?.textContent).not.toBe('none yet');
  });
});

describe('payments filters and timeline', () => {
  const filters = {
    status: 'succeeded',
    provider: 'paystack',
    currency: 'NGN',
    from: '2026-11-01',
    to: '',
    search: 'order-7',
  };

  it('sends status, provider, dates and a reference search to the API', () => {
    const q = paymentsQuery(filters, 'cur');
    expect(q).toMatchObject({
      limit: 25,
      status: 'succeeded',
      provider: 'paystack',
      reference: 'order-7',
      cursor: 'cur',
    });
    expect(q.createdFrom).toBe(new Date('2026-11-01T00:00:00').toISOString());
    expect(q.createdTo).toBeUndefined();
  });

  it('sends a search with @ as the customer email, and the currency in upper case, to the API', () => {
    const q = paymentsQuery({ ...filters, currency: ' ngn ', search: ' ADA@example.com ' }, undefined);
    expect(q).toMatchObject({ currency: 'NGN', email: 'ADA@example.com' });
    expect(q.reference).toBeUndefined();
    expect(paymentsQuery({ ...filters, currency: '' }, undefined).currency).toBeUndefined();
    expect(paymentsQuery(filters, undefined).email).toBeUndefined();
  });

  it('tells the failover story in order', () => {
    const payment = {
      id: 'pay_1',
      amount: 500,
      currency: 'UGX',
      status: 'succeeded',
      failureReason: null,
      createdAt: '2026-11-23T09:00:00.000Z',
      updatedAt: '2026-11-23T09:05:00.000Z',
      attempts: [
        {
          provider: 'paystack',
          reference: 'r1',
          outcome: 'failed',
          error: { code: 'provider_unavailable', message: '503' },
          at: '2026-11-23T09:00:01.000Z',
        },
        { provider: 'flutterwave', reference: 'r2', outcome: 'initialized', at: '2026-11-23T09:00:02.000Z' },
      ],
    } as unknown as Payment;
    const entries = timeline(payment, [], new Map());
    expect(entries.map((e) => e.title)).toEqual([
      'Payment created',
      'Paystack: checkout failed',
      'Flutterwave: checkout initialized',
      'Status succeeded',
    ]);
    const settled = timeline({ ...payment, settledBy: 'reconciliation' }, [], new Map());
    expect(settled.at(-1)?.detail).toBe('settled by the reconciliation sweeper');
    expect(entries[0]?.detail?.replace(/\u00a0/g, ' ')).toBe('UGX 500');
    expect(entries[1]?.detail).toContain('failed over to Flutterwave');
  });

  it('merges each provider webhook (its signature result in words) and each verify call into the time order', () => {
    const payment = {
      id: 'pay_1',
      amount: 500000,
      currency: 'NGN',
      status: 'succeeded',
      failureReason: null,
      settledBy: 'webhook',
      createdAt: '2026-11-23T09:00:00.000Z',
      updatedAt: '2026-11-23T09:03:00.000Z',
      attempts: [
        { provider: 'paystack', reference: 'r1', outcome: 'initialized', at: '2026-11-23T09:00:01.000Z' },
      ],
    } as unknown as Payment;
    const activity: PaymentActivity[] = [
      {
        kind: 'provider_webhook',
        at: '2026-11-23T09:02:00.000Z',
        provider: 'paystack',
        signature: 'rejected',
        outcome: 'rejected',
        reason: 'signature_mismatch',
      },
      {
        kind: 'provider_webhook',
        at: '2026-11-23T09:02:59.000Z',
        provider: 'paystack',
        signature: 'valid',
        outcome: 'applied',
        providerEventId: '4099',
      },
      {
        kind: 'verify',
        at: '2026-11-23T09:04:00.000Z',
        provider: 'paystack',
        source: 'api',
        status: 'succeeded',
      },
      {
        kind: 'verify',
        at: '2026-11-23T09:01:00.000Z',
        provider: 'paystack',
        source: 'reconciliation',
        errorCode: 'provider_timeout',
      },
    ];
    const entries = timeline(payment, [], new Map(), [], activity);
    expect(entries.map((e) => e.title)).toEqual([
      'Payment created',
      'Paystack: checkout initialized',
      'Verify by the reconciliation sweeper: Paystack',
      'Paystack webhook received: signature rejected',
      'Paystack webhook received: signature valid',
      'Status succeeded',
      'Verify with provider (API or dashboard): Paystack',
    ]);
    expect(entries[2]).toMatchObject({ detail: 'the call failed: provider_timeout', status: 'failed' });
    expect(entries[3]).toMatchObject({
      detail: 'rejected, nothing applied; reason signature_mismatch',
      status: 'signature_rejected',
    });
    expect(entries[4]).toMatchObject({
      detail: 'applied to the payment; Paystack event 4099',
      status: 'signature_valid',
    });
    expect(entries[6]).toMatchObject({ detail: 'the payment is succeeded', status: 'succeeded' });
    // The badge says the result in words (and a symbol), not by colour alone.
    render(<StatusBadge status="signature_rejected" />);
    expect(screen.getByText('signature rejected')).toBeTruthy();
  });
});

const refund = (over: Partial<Refund>): Refund => ({
  id: 're_1',
  paymentId: 'pay_1',
  mode: 'test',
  amount: 100,
  currency: 'NGN',
  status: 'pending',
  reason: null,
  providerRefundId: null,
  failureReason: null,
  nextAction: null,
  metadata: {},
  createdAt: '2026-11-23T09:00:00.000Z',
  updatedAt: '2026-11-23T09:00:00.000Z',
  ...over,
});

describe('refunds', () => {
  const payment = { id: 'pay_1', amount: 1075050, currency: 'NGN', customer: { email: 'ada@example.com' } };

  it('sends status, payment, dates and the cursor to the API', () => {
    const q = refundsQuery({ status: 'failed', payment: ' pay_1 ', from: '2026-11-01', to: '' }, 'cur');
    expect(q).toEqual({
      limit: 25,
      status: 'failed',
      payment: 'pay_1',
      createdFrom: new Date('2026-11-01T00:00:00').toISOString(),
      cursor: 'cur',
    });
    expect(transactionsQuery({ kind: 'refund', provider: '', currency: 'ngn' }, undefined)).toEqual({
      limit: 25,
      kind: 'refund',
      currency: 'NGN',
    });
  });

  it('counts every refund but failed ones against the remainder', () => {
    expect(
      refundableRemainder(payment, [
        refund({ amount: 50000, status: 'succeeded' }),
        refund({ amount: 25, status: 'pending' }),
        refund({ amount: 999999, status: 'failed' }),
      ]),
    ).toBe(1075050 - 50025);
    expect(refundableRemainder(payment, [refund({ amount: 1075050, status: 'succeeded' })])).toBe(0);
  });

  it('defaults to the remainder, confirms, and makes one refund with one key however often Confirm is pressed', async () => {
    let resolve: (r: Refund) => void = () => undefined;
    const create = vi.fn(() => new Promise<Refund>((r) => (resolve = r)));
    const onRefunded = vi.fn();
    let keys = 0;
    render(
      <RefundForm
        payment={payment}
        remainder={75050}
        create={create}
        onRefunded={onRefunded}
        makeKey={() => `key-${++keys}`}
      />,
    );
    const amount = screen.getByLabelText<HTMLInputElement>('Refund amount (NGN)');
    expect(amount.value).toBe('750.50');
    fireEvent.input(amount, { target: { value: '200.25' } });
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: 'duplicate' } });
    submitWith('Refund');
    const group = await screen.findByRole('group', { name: 'Confirm refund' });
    expect(group.textContent?.replace(/\u00a0/g, ' ')).toContain('Refund NGN 200.25 to ada@example.com?');
    expect(create).not.toHaveBeenCalled();
    const confirm = screen.getByRole('button', { name: 'Confirm refund' });
    fireEvent.click(confirm);
    fireEvent.click(confirm);
    resolve(refund({ amount: 20025 }));
    await waitFor(() => expect(onRefunded).toHaveBeenCalledTimes(1));
    expect(create).toHaveBeenCalledTimes(1);
    expect(create).toHaveBeenCalledWith({ amount: 20025, reason: 'duplicate' }, { idempotencyKey: 'key-1' });
  });

  it('keeps the key for a retry after an error, and refuses more than the remainder', async () => {
    const create = vi
      .fn()
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockResolvedValueOnce(refund({}));
    const onRefunded = vi.fn();
    let keys = 0;
    render(
      <RefundForm
        payment={payment}
        remainder={100}
        create={create}
        onRefunded={onRefunded}
        makeKey={() => `key-${++keys}`}
      />,
    );
    const amount = screen.getByLabelText<HTMLInputElement>('Refund amount (NGN)');
    fireEvent.input(amount, { target: { value: '1.01' } });
    submitWith('Refund');
    expect((await screen.findByRole('alert')).textContent).toContain('At most NGN');
    fireEvent.input(amount, { target: { value: '0.5' } });
    submitWith('Refund');
    fireEvent.click(await screen.findByRole('button', { name: 'Confirm refund' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Failed to fetch');
    fireEvent.click(screen.getByRole('button', { name: 'Confirm refund' }));
    await waitFor(() => expect(onRefunded).toHaveBeenCalled());
    expect(create.mock.calls.map((c) => (c[1] as { idempotencyKey: string }).idempotencyKey)).toEqual([
      'key-1',
      'key-1',
    ]);
    expect(create.mock.calls[0]?.[0]).toEqual({ amount: 50, reason: 'requested_by_customer' });
  });
});
