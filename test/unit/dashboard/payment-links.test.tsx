// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeliveryAttemptList, Event, PaymentLink } from '#client';
import {
  CreateLinkForm,
  emptyDraft,
  type LinkDraft,
  linkPrice,
  linkState,
  linkUsage,
  paymentLinkInput,
  qrPngPath,
  sameOriginPath,
} from '../../../dashboard/src/pages/payment-links.tsx';
import {
  deliveriesByEndpoint,
  loadRecentDeliveries,
  recentEvents,
} from '../../../dashboard/src/pages/webhooks.tsx';

afterEach(cleanup);

const now = new Date('2030-05-01T12:00:00Z');
const draft = (over: Partial<LinkDraft>): LinkDraft => ({ ...emptyDraft, title: 'Ankara dress', ...over });
const nbsp = (s: string) => s.replace(/\u00a0/g, ' ');

describe('payment link form: amounts', () => {
  it('turns a fixed decimal amount into exact minor units for the currency', () => {
    expect(paymentLinkInput(draft({ amount: '5,000.50' }), now)).toEqual({
      input: { currency: 'NGN', title: 'Ankara dress', amount: 500050 },
    });
    // Floats would make 0.29 × 100 = 28.999…; string arithmetic does not.
    expect(paymentLinkInput(draft({ amount: '0.29', currency: 'USD' }), now).input?.amount).toBe(29);
    expect(paymentLinkInput(draft({ amount: '1 000', currency: 'UGX' }), now).input?.amount).toBe(1000);
    expect(paymentLinkInput(draft({ amount: '12.5', currency: 'ETB' }), now).input?.amount).toBe(1250);
  });

  it('refuses more decimals than the currency has, zero, negatives and words', () => {
    expect(paymentLinkInput(draft({ amount: '0.005' }), now).problems?.amount).toMatch(/2 decimal places/);
    expect(paymentLinkInput(draft({ amount: '10.5', currency: 'UGX' }), now).problems?.amount).toMatch(
      /a whole number/,
    );
    for (const amount of ['0', '-5', 'abc', '', '1e3']) {
      expect(paymentLinkInput(draft({ amount }), now).problems?.amount, amount).toMatch(/greater than zero/);
    }
  });

  it('sends customer-chosen bounds instead of an amount, min ≤ max', () => {
    expect(paymentLinkInput(draft({ pricing: 'customer', min: '1,000', max: '50000.00' }), now)).toEqual({
      input: { currency: 'NGN', title: 'Ankara dress', allowCustomerAmount: { min: 100000, max: 5000000 } },
    });
    // The fixed amount typed before switching is not sent.
    expect(
      paymentLinkInput(draft({ pricing: 'customer', amount: '5', min: '1', max: '1' }), now).input,
    ).not.toHaveProperty('amount');
    expect(paymentLinkInput(draft({ pricing: 'customer', min: '50', max: '10' }), now).problems).toEqual({
      max: 'The maximum must be at least the minimum.',
    });
    expect(
      Object.keys(paymentLinkInput(draft({ pricing: 'customer', min: '', max: 'x' }), now).problems ?? {}),
    ).toEqual(['min', 'max']);
  });
});

describe('payment link form: the other fields', () => {
  it('sends the optional fields only when filled, trimmed, providers in a stable order', () => {
    const result = paymentLinkInput(
      draft({
        title: '  Ankara dress  ',
        description: ' Size M ',
        amount: '20',
        providers: ['stripe', 'paystack'],
        maxPayments: '10',
        expiresAt: '2030-06-01T09:30',
        redirectUrl: ' https://shop.example/thanks ',
      }),
      now,
    );
    expect(result.input).toEqual({
      currency: 'NGN',
      title: 'Ankara dress',
      description: 'Size M',
      amount: 2000,
      providers: ['paystack', 'stripe'],
      maxPayments: 10,
      expiresAt: new Date('2030-06-01T09:30').toISOString(),
      redirectUrl: 'https://shop.example/thanks',
    });
  });

  it('explains each wrong field', () => {
    const { problems } = paymentLinkInput(
      {
        ...emptyDraft,
        title: '   ',
        description: 'x'.repeat(501),
        currency: 'XYZ',
        amount: '5',
        maxPayments: '0',
        expiresAt: '2030-04-30T10:00',
        redirectUrl: 'javascript:alert(1)',
      },
      now,
    );
    expect(Object.keys(problems ?? {}).sort()).toEqual([
      'currency',
      'description',
      'expiresAt',
      'maxPayments',
      'redirectUrl',
      'title',
    ]);
    expect(paymentLinkInput(draft({ amount: '1', maxPayments: '1000001' }), now).problems).toHaveProperty(
      'maxPayments',
    );
    expect(paymentLinkInput(draft({ amount: '1', maxPayments: '2.5' }), now).problems).toHaveProperty(
      'maxPayments',
    );
    expect(
      paymentLinkInput(draft({ amount: '1', redirectUrl: 'ftp://x.example' }), now).problems,
    ).toHaveProperty('redirectUrl');
  });
});

describe('payment link display', () => {
  const link = {
    amount: null,
    allowCustomerAmount: { min: 100000, max: 5000050 },
    currency: 'NGN',
    active: true,
    expiresAt: null,
    maxPayments: 10,
    paymentsCount: 3,
  } as const;

  it('shows the price, the bounds and the usage exactly', () => {
    expect(nbsp(linkPrice(link))).toBe('NGN 1,000.00 – NGN 50,000.50');
    expect(nbsp(linkPrice({ ...link, amount: 500, currency: 'UGX', allowCustomerAmount: null }))).toBe(
      'UGX 500',
    );
    expect(linkUsage(link)).toBe('3 / 10');
    expect(linkUsage({ ...link, maxPayments: null })).toBe('3');
  });

  it('says why a link takes no payment', () => {
    expect(linkState(link, now)).toBe('active');
    expect(linkState({ ...link, active: false }, now)).toBe('inactive');
    expect(linkState({ ...link, expiresAt: '2030-05-01T11:59:59Z' }, now)).toBe('expired');
    expect(linkState({ ...link, paymentsCount: 10 }, now)).toBe('sold out');
  });

  it('loads the QR code from the dashboard’s own origin, whatever host the API named', () => {
    const qr = 'https://abc123.execute-api.eu-west-1.amazonaws.com/pay/Zx9_ab-c/qr.svg';
    expect(sameOriginPath(qr)).toBe('/pay/Zx9_ab-c/qr.svg');
    expect(qrPngPath(qr)).toBe('/pay/Zx9_ab-c/qr.png');
  });
});

describe('create payment link form', () => {
  const created = { id: 'plink_1' } as PaymentLink;

  it('creates a fixed-amount link from the labelled fields', async () => {
    const create = vi.fn(async () => created);
    const onCreated = vi.fn();
    render(<CreateLinkForm create={create} onCreated={onCreated} now={() => now} />);
    fireEvent.input(screen.getByLabelText('Title'), { target: { value: 'Market stall' } });
    fireEvent.change(screen.getByLabelText('Currency'), { target: { value: 'KES' } });
    fireEvent.input(screen.getByLabelText('Amount (KES)'), { target: { value: '250.75' } });
    fireEvent.click(screen.getByLabelText('Flutterwave'));
    fireEvent.input(screen.getByLabelText('Maximum payments (optional)'), { target: { value: '5' } });
    fireEvent.submit(screen.getByRole('form', { name: 'New payment link' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    expect(create).toHaveBeenCalledWith({
      currency: 'KES',
      title: 'Market stall',
      amount: 25075,
      providers: ['flutterwave'],
      maxPayments: 5,
    });
  });

  it('asks for bounds when the customer chooses, and marks a wrong field without calling the API', async () => {
    const create = vi.fn(async () => created);
    render(<CreateLinkForm create={create} onCreated={vi.fn()} now={() => now} />);
    fireEvent.input(screen.getByLabelText('Title'), { target: { value: 'Tips' } });
    fireEvent.click(screen.getByLabelText('The customer chooses, within bounds'));
    fireEvent.input(screen.getByLabelText('Minimum (NGN)'), { target: { value: '500' } });
    fireEvent.input(screen.getByLabelText(/^Maximum \(NGN\)/), { target: { value: '100' } });
    fireEvent.submit(screen.getByRole('form', { name: 'New payment link' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Check the field marked below.');
    const max = screen.getByLabelText(/^Maximum \(NGN\)/);
    expect(max.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(max.getAttribute('aria-describedby') ?? '')?.textContent).toBe(
      'The maximum must be at least the minimum.',
    );
    expect(create).not.toHaveBeenCalled();

    fireEvent.input(max, { target: { value: '1,000' } });
    fireEvent.submit(screen.getByRole('form', { name: 'New payment link' }));
    await waitFor(() =>
      expect(create).toHaveBeenCalledWith({
        currency: 'NGN',
        title: 'Tips',
        allowCustomerAmount: { min: 50000, max: 100000 },
      }),
    );
  });
});

describe('webhook deliveries per endpoint', () => {
  it('regroups the events’ deliveries per endpoint, newest event first, each with its attempts oldest first', () => {
    const event = (id: string) => ({ id, type: 'payment.succeeded' }) as Event;
    const delivery = (id: string, endpointId: string) =>
      ({ id, endpointId, status: 'pending' }) as DeliveryAttemptList['deliveries'][number];
    const attempt = (id: string, deliveryId: string, endpointId: string, n: number, at: string) =>
      ({ id, deliveryId, endpointId, attempt: n, at }) as DeliveryAttemptList['data'][number];
    const lists = new Map([
      [
        'evt_new',
        {
          deliveries: [delivery('msg_a2', 'we_a'), delivery('msg_b', 'we_b')],
          data: [
            attempt('att_2', 'msg_a2', 'we_a', 2, '2030-01-01T00:01:00Z'),
            attempt('att_1', 'msg_a2', 'we_a', 1, '2030-01-01T00:00:00Z'),
          ],
        },
      ],
      [
        'evt_old',
        {
          deliveries: [delivery('msg_a1', 'we_a')],
          data: [attempt('att_0', 'msg_a1', 'we_a', 1, '2029-12-31T00:00:00Z')],
        },
      ],
    ]);
    const byEndpoint = deliveriesByEndpoint([event('evt_new'), event('evt_old'), event('evt_none')], lists);
    const view = (endpointId: string) =>
      byEndpoint.get(endpointId)?.map((d) => [d.event.id, d.delivery.id, d.attempts.map((a) => a.id)]);
    expect([...byEndpoint.keys()]).toEqual(['we_a', 'we_b']);
    expect(view('we_a')).toEqual([
      ['evt_new', 'msg_a2', ['att_1', 'att_2']],
      ['evt_old', 'msg_a1', ['att_0']],
    ]);
    expect(view('we_b')).toEqual([['evt_new', 'msg_b', []]]);
  });

  it('goes back page by page through older events, with every attempt of each', async () => {
    // 45 events newest first, served 20 at a time by cursor, each delivered once to we_a.
    const all = Array.from(
      { length: 45 },
      (_, i) => ({ id: `evt_${String(45 - i).padStart(2, '0')}` }) as Event,
    );
    const cursors: (string | undefined)[] = [];
    const client = {
      events: {
        list: async (query?: { limit?: number; cursor?: string }) => {
          cursors.push(query?.cursor);
          const start = query?.cursor ? Number(query.cursor) : 0;
          const data = all.slice(start, start + (query?.limit ?? 20));
          const end = start + data.length;
          return { data, hasMore: end < all.length, nextCursor: end < all.length ? String(end) : null };
        },
        attempts: async (id: string) => ({
          deliveries: [{ id: `msg_${id}`, endpointId: 'we_a', status: 'delivered' }],
          data: [],
        }),
      },
    } as unknown as Parameters<typeof loadRecentDeliveries>[0];
    const first = await loadRecentDeliveries(client, 1);
    expect([first.events, first.more]).toEqual([recentEvents, true]);
    expect(first.byEndpoint.get('we_a')?.[0]?.event.id).toBe('evt_45');
    const all3 = await loadRecentDeliveries(client, 5);
    expect([all3.events, all3.more]).toEqual([45, false]);
    expect(all3.byEndpoint.get('we_a')?.map((d) => d.event.id)).toEqual(all.map((e) => e.id));
    expect(cursors.slice(1)).toEqual([undefined, '20', '40']); // stops at the last page, not at 5
  });
});
