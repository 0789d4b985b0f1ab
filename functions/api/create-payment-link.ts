import * as z from 'zod/mini';
import { publicPaymentLink } from '#core/payment-links';
import { providerNames } from '#core/provider-adapter';
import { http } from '#edge/http';
import { callerOf, requireMerchant } from '#app/identity';
import { paymentLinks } from '#app/payment-links';
import { publicBaseUrl } from '#edge/request';
import { currency, providerName } from '#edge/schemas';

const minorAmount = z.int().check(z.positive());

export const createPaymentLinkBody = z.strictObject({
  /** A fixed price, integer in the currency's minor unit. Give this or `allowCustomerAmount`. */
  amount: z.optional(minorAmount),
  /** The customer types the amount, within these bounds (minor units, inclusive). */
  allowCustomerAmount: z.optional(z.strictObject({ min: minorAmount, max: minorAmount })),
  currency,
  /** What the customer pays for: the page's heading. */
  title: z.string().check(z.trim(), z.minLength(1), z.maxLength(120)),
  description: z.optional(z.string().check(z.trim(), z.maxLength(500))),
  /** The providers to offer (default: every provider enabled for the currency when the page is opened). */
  providers: z.optional(z.array(providerName).check(z.minLength(1), z.maxLength(providerNames.length))),
  /** When the link stops taking payments (ISO 8601). */
  expiresAt: z.optional(z.string().check(z.iso.datetime())),
  /** How many payments the link may start; then it answers that it is sold out. */
  maxPayments: z.optional(z.int().check(z.positive(), z.lte(1_000_000))),
  /** Where the customer may continue after paying (a link on the done page). */
  redirectUrl: z.optional(z.string().check(z.url({ protocol: /^https?$/ }), z.maxLength(2000))),
  /** Copied onto every payment made through the link. */
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

/** POST /v1/payment-links — a hosted payment page with its QR code. */
export const handler = http({ body: createPaymentLinkBody }, async ({ actor, body, event, meta }) => {
  const link = await paymentLinks.create(callerOf(requireMerchant(actor)), body, meta);
  return { status: 201, body: publicPaymentLink(link, publicBaseUrl(event)) };
});
