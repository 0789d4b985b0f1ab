// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PayBridgeError, type ApiKeyWithSecret, type Payment, type ProviderConfig } from '#client';
import { CreateKeyForm } from '../../../dashboard/src/pages/api-keys.tsx';
import { paymentsQuery, pagePaymentFilter, timeline } from '../../../dashboard/src/pages/payments.tsx';
import { ProviderCard } from '../../../dashboard/src/pages/providers.tsx';
import { SignInPage } from '../../../dashboard/src/pages/sign-in.tsx';
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
    expect(create).toHaveBeenCalledWith('server', 'live');
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

  it('treats a search with @ as a customer email, filtered with the currency on the page', () => {
    const q = paymentsQuery({ ...filters, search: 'ADA@example.com' }, undefined);
    expect(q.reference).toBeUndefined();
    const keep = pagePaymentFilter({ ...filters, search: 'ADA@example.com' });
    const p = (currency: string, email: string) => ({ currency, customer: { email } }) as Payment;
    expect(
      [p('NGN', 'ada@example.com'), p('GHS', 'ada@example.com'), p('NGN', 'bob@example.com')].map(keep),
    ).toEqual([true, false, false]);
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
    expect(entries[0]?.detail?.replace(/\u00a0/g, ' ')).toBe('UGX 500');
    expect(entries[1]?.detail).toContain('failed over to Flutterwave');
  });
});
