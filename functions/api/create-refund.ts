import * as z from 'zod/mini';
import { createRefund, refundReasons } from '#core/refunds';
import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { refunds } from '#app/refunds';
import { idempotencyKeyOf } from '#edge/request';
import { paymentParams } from './get-payment.ts';

export const createRefundBody = z.strictObject({
  /** Minor units; omitted = everything still refundable on the payment. */
  amount: z.optional(z.int().check(z.positive())),
  reason: z.optional(z.enum(refundReasons)),
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
});

/** POST /v1/payments/{id}/refunds — money back through the provider that took it. */
export const handler = http(
  { params: paymentParams, body: createRefundBody },
  async ({ actor, params, body, event, meta }) => {
    const caller = requireMerchant(actor);
    const key = idempotencyKeyOf(event, 'refund');
    const out = await createRefund(refunds, callerOf(caller), params.id, body, key, meta);
    const headers: Record<string, string> = { 'idempotency-key': key };
    if (out.replayed) headers['idempotent-replayed'] = 'true';
    return { status: out.status, body: out.body, headers };
  },
);
