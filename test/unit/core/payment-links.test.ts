import jsQR from 'jsqr';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import {
  availability,
  chooseAmount,
  formatAmount,
  linkUrls,
  newPaymentLink,
  newSlug,
  type PaymentLink,
  paymentInputFor,
  paymentLinkFieldOrder,
  providerChoices,
  providerLabels,
  publicPaymentLink,
  slugPattern,
  submissionKey,
  validateNewLink,
} from '#core/payment-links';
import { paymentLink } from '#edge/responses';

const now = new Date('2026-11-23T09:00:00Z');
const link = (over: Partial<PaymentLink> = {}): PaymentLink => ({
  ...newPaymentLink(
    'plink_01JXAMPLE0000000000000000L',
    'q3Yx8v0bKp2LmZ7a1c9dEw',
    'mer_1',
    'test',
    {
      amount: 1500000,
      currency: 'NGN',
      title: 'Tote',
    },
    now,
  ),
  ...over,
});

describe('a new link', () => {
  it('takes either a fixed amount or customer bounds, never both or neither', () => {
    expect(() => validateNewLink({ currency: 'NGN', title: 't', amount: 100 }, now)).not.toThrow();
    expect(() =>
      validateNewLink({ currency: 'NGN', title: 't', allowCustomerAmount: { min: 100, max: 500 } }, now),
    ).not.toThrow();
    expect(() => validateNewLink({ currency: 'NGN', title: 't' }, now)).toThrow(/either `amount`/);
    expect(() =>
      validateNewLink(
        { currency: 'NGN', title: 't', amount: 100, allowCustomerAmount: { min: 1, max: 2 } },
        now,
      ),
    ).toThrow(/either `amount`/);
  });

  it('refuses bounds upside down, amounts over the account maximum, an unknown currency, a past expiry', () => {
    expect(() =>
      validateNewLink({ currency: 'NGN', title: 't', allowCustomerAmount: { min: 500, max: 100 } }, now),
    ).toThrow(/must not be above/);
    expect(() => validateNewLink({ currency: 'NGN', title: 't', amount: 1000 }, now, { NGN: 999 })).toThrow(
      /at most 999/,
    );
    expect(() => validateNewLink({ currency: 'BTC', title: 't', amount: 1 }, now)).toThrow(/ISO 4217/);
    expect(() =>
      validateNewLink({ currency: 'NGN', title: 't', amount: 1, expiresAt: '2026-11-23T08:59:59Z' }, now),
    ).toThrow(/future/);
  });

  it('gets an unguessable slug: 128 random bits, not derived from the time-ordered id', () => {
    const slugs = new Set(Array.from({ length: 200 }, newSlug));
    expect(slugs.size).toBe(200);
    for (const s of slugs) expect(s).toMatch(slugPattern);
  });
});

describe('the answer', () => {
  it('lists its fields in the schema’s order, id first, with the page and QR URLs', () => {
    const shape = Object.keys((paymentLink as unknown as { def: { shape: object } }).def.shape);
    expect([...paymentLinkFieldOrder]).toEqual(shape);
    const body = publicPaymentLink(link(), 'https://api.example/');
    expect(Object.keys(body)).toEqual(shape);
    expect(body.url).toBe('https://api.example/pay/q3Yx8v0bKp2LmZ7a1c9dEw');
    expect(body.qrCodeUrl).toBe('https://api.example/pay/q3Yx8v0bKp2LmZ7a1c9dEw/qr.svg');
    expect(body).not.toHaveProperty('merchantId');
    expect(body).not.toHaveProperty('slug');
  });
});

describe('availability', () => {
  it('is inactive, expired or exhausted, in that order, else available', () => {
    expect(availability(link(), now)).toBe('available');
    expect(availability(link({ active: false, maxPayments: 1, paymentsCount: 1 }), now)).toBe('inactive');
    expect(availability(link({ expiresAt: now.toISOString() }), now)).toBe('expired');
    expect(availability(link({ maxPayments: 2, paymentsCount: 2 }), now)).toBe('exhausted');
    expect(availability(link({ maxPayments: 2, paymentsCount: 1 }), now)).toBe('available');
  });
});

describe('providers offered', () => {
  const enabled = [
    { provider: 'stripe' as const, currencies: ['USD', 'NGN'] },
    { provider: 'chapa' as const, currencies: ['ETB', 'USD'] },
    { provider: 'paystack' as const, currencies: ['NGN', 'USD'] },
    { provider: 'flutterwave' as const, currencies: ['NGN', 'USD', 'UGX'] },
  ];
  it('are the enabled ones that take the currency, in routing preference', () => {
    expect(providerChoices(link({ currency: 'USD' }), enabled)).toEqual([
      'paystack',
      'flutterwave',
      'stripe',
      'chapa',
    ]);
    expect(providerChoices(link({ currency: 'ETB' }), enabled)).toEqual(['chapa']);
    expect(providerChoices(link({ currency: 'UGX' }), enabled)).toEqual(['flutterwave']);
  });
  it('narrowed to the link’s own list', () => {
    expect(providerChoices(link({ currency: 'USD', providers: ['stripe', 'chapa'] }), enabled)).toEqual([
      'stripe',
      'chapa',
    ]);
  });
  it('are labelled for customers, each with the provider’s name', () => {
    expect(providerLabels.stripe.label).toBe('Pay with card');
    expect(providerLabels.paystack.label).toBe('Pay with Paystack');
    expect(providerLabels.flutterwave.label).toBe('Mobile money');
    expect(providerLabels.chapa.label).toBe('telebirr / CBE Birr');
  });
});

describe('amounts', () => {
  const open = link({ amount: null, allowCustomerAmount: { min: 100000, max: 5000000 } });
  it('formats per currency, exactly', () => {
    expect(formatAmount(1075050, 'NGN')).toBe('₦10,750.50');
    expect(formatAmount(1999, 'USD')).toBe('$19.99');
    expect(formatAmount(5000, 'UGX')).toMatch(/^UGX\s5,000$/);
    expect(formatAmount(10025, 'ETB')).toMatch(/100\.25/);
  });
  it('takes the fixed amount whatever was typed', () => {
    expect(chooseAmount(link(), '1')).toEqual({ ok: true, amount: 1500000 });
  });
  it('takes a customer amount in major units within the bounds, and says why not otherwise', () => {
    expect(chooseAmount(open, '1500')).toEqual({ ok: true, amount: 150000 });
    expect(chooseAmount(open, '1,500.50')).toEqual({ ok: true, amount: 150050 });
    expect(chooseAmount(open, '50000')).toEqual({ ok: true, amount: 5000000 });
    expect(chooseAmount(open, '999.99')).toMatchObject({ ok: false, reason: 'out_of_bounds' });
    expect(chooseAmount(open, '50000.01')).toMatchObject({ ok: false, reason: 'out_of_bounds' });
    expect(chooseAmount(open, '12.345')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(chooseAmount(open, '-5')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(chooseAmount(open, '1e5')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(chooseAmount(open, '')).toMatchObject({ ok: false, reason: 'missing' });
    expect(chooseAmount(open, undefined)).toMatchObject({ ok: false, reason: 'missing' });
  });
});

describe('a submission', () => {
  it('asks createPayment for the chosen provider, with the link id and the done URL', () => {
    const input = paymentInputFor(link({ metadata: { sku: 'T1' } }), {
      amount: 1500000,
      email: 'a@b.co',
      provider: 'stripe',
      doneUrl: 'https://api.example/pay/x/done?session=t',
    });
    expect(input).toEqual({
      amount: 1500000,
      currency: 'NGN',
      provider: 'stripe',
      customer: { email: 'a@b.co' },
      description: 'Tote',
      redirectUrl: 'https://api.example/pay/x/done?session=t',
      metadata: { sku: 'T1' },
      paymentLinkId: 'plink_01JXAMPLE0000000000000000L',
    });
    expect(submissionKey('plink_1', 'tok')).toBe('plink_1:tok');
  });
});

/** Rasterises qrcode's SVG (one stroked horizontal run per `M x y h n` / `m dx 0 h n`) into RGBA pixels. */
function rasterise(svg: string, scale = 4): { data: Uint8ClampedArray; size: number } {
  const viewBox = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  const d =
    /<path[^>]*stroke="#000000"[^>]*d="([^"]+)"/.exec(svg) ??
    /<path[^>]*d="([^"]+)"[^>]*\/>\s*<\/svg>/.exec(svg);
  if (!viewBox || !d) throw new Error('not a qrcode SVG');
  const modules = Number(viewBox[1]);
  const dark: boolean[][] = Array.from({ length: modules }, () => Array<boolean>(modules).fill(false));
  let x = 0;
  let y = 0;
  for (const [, cmd, a, b] of (d[1] as string).matchAll(/([MmHhVv])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
    const n = Number(a);
    if (cmd === 'M') [x, y] = [n, Math.floor(Number(b))];
    else if (cmd === 'm') x += n;
    else if (cmd === 'h') {
      for (let i = 0; i < n; i++) (dark[y] as boolean[])[x + i] = true;
      x += n;
    }
  }
  const size = modules * scale;
  const data = new Uint8ClampedArray(size * size * 4).fill(255);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      if (!dark[Math.floor(py / scale)]?.[Math.floor(px / scale)]) continue;
      const o = (py * size + px) * 4;
      data[o] = data[o + 1] = data[o + 2] = 0;
    }
  }
  return { data, size };
}

describe('the QR code', () => {
  const { url } = linkUrls('https://api.paybridge.example', 'q3Yx8v0bKp2LmZ7a1c9dEw');

  it('decodes back to the link’s URL from the SVG the route serves', async () => {
    const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
    const { data, size } = rasterise(svg);
    expect(jsQR(data, size, size)?.data).toBe(url);
  });

  it('decodes back to the link’s URL from the module matrix', () => {
    const qr = QRCode.create(url, { errorCorrectionLevel: 'M' });
    const n = qr.modules.size;
    const scale = 4;
    const margin = 4;
    const size = (n + 2 * margin) * scale;
    const data = new Uint8ClampedArray(size * size * 4).fill(255);
    for (let py = 0; py < size; py++) {
      for (let px = 0; px < size; px++) {
        const mx = Math.floor(px / scale) - margin;
        const my = Math.floor(py / scale) - margin;
        if (mx < 0 || my < 0 || mx >= n || my >= n || !qr.modules.get(my, mx)) continue;
        const o = (py * size + px) * 4;
        data[o] = data[o + 1] = data[o + 2] = 0;
      }
    }
    expect(jsQR(data, size, size)?.data).toBe(url);
    // and a different URL does not decode to this one
    expect(jsQR(data, size, size)?.data).not.toBe(`${url}x`);
  });
});
