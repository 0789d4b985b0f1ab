import * as z from 'zod/mini';
import { createPayment } from '#core/payments';
import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { payments } from '#app/payments';
import { idempotencyKeyOf } from '#edge/request';
import { currency, email, providerName, reference } from '#edge/schemas';

export const createPaymentBody = z.strictObject({
  /** Integer, in the currency's minor unit (kobo, cents; whole units for JPY, UGX, RWF, XOF). */
  amount: z.int().check(z.positive()),
  currency,
  provider: z.optional(providerName),
  customer: z.strictObject({
    email,
    name: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
    phone: z.optional(
      z.string().check(
        z.regex(/^\+?[0-9 ()-]{6,20}$/, {
          error: 'must be a phone number of 6–20 digits, such as +2348012345678',
        }),
      ),
    ),
  }),
  reference: z.optional(reference),
  description: z.optional(z.string().check(z.maxLength(500))),
  redirectUrl: z.optional(z.string().check(z.url({ protocol: /^https?$/ }), z.maxLength(2000))),
  metadata: z.optional(
    z
      .record(
        z.string().check(
          z.regex(/^[A-Za-z0-9_.-]{1,40}$/, {
            error: 'keys must be 1–40 letters, digits, `_`, `.` or `-`',
          }),
        ),
        z.string().check(z.maxLength(500)),
      )
      .check(z.refine((m) => Object.keys(m).length <= 20, 'at most 20 keys')),
  ),
  /** Seconds until the payment expires unpaid: default 86400 (24 h), at least 1800 in the cloud (Stripe's minimum). */
  expiresInSeconds: z.optional(z.int().check(z.positive(), z.lte(86_400))),
  /** Count a payment above `amount` in the same currency as paid (it is reported in `amountMismatch` either way). */
  acceptOverpayment: z.optional(z.boolean()),
});

/** POST /v1/payments — a checkout with the first provider that can take it. */
export const handler = http({ body: createPaymentBody }, async ({ actor, body, event, meta }) => {
  const caller = requireMerchant(actor);
  // Every caller, dashboard included: a double-clicked button must not start two checkouts.
  const key = idempotencyKeyOf(event, 'POST /v1/payments');
  const out = await createPayment(payments, callerOf(caller), body, key, meta);
  const headers: Record<string, string> = { 'idempotency-key': key };
  // Stripe's header: this answer is the stored first one, not a new payment.
  if (out.replayed) headers['idempotent-replayed'] = 'true';
  return { status: out.status, body: out.body, headers };
});
