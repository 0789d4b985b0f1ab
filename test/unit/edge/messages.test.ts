import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '#core/errors';
import { createPaymentBody } from '#api/create-payment';
import { paymentParams } from '#api/get-payment';
import { parseBody, parseParams, parseQuery } from '#edge/request';
import { listQuery } from '#edge/schemas';

function event(over: Partial<APIGatewayProxyEventV2>): APIGatewayProxyEventV2 {
  return {
    headers: { 'content-type': 'application/json' },
    isBase64Encoded: false,
    ...over,
  } as APIGatewayProxyEventV2;
}

function refusal(run: () => unknown): ValidationFailed {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationFailed) return error;
    throw error;
  }
  throw new Error('expected a ValidationFailed');
}

const payment = { amount: 500000, currency: 'NGN', customer: { email: 'a@b.co' } };
const body = (over: Record<string, unknown>) =>
  refusal(() =>
    parseBody(event({ body: JSON.stringify({ ...payment, ...over }) }), createPaymentBody, 65536),
  );

/** zod's vocabulary, which means nothing to a merchant. */
const jargon = /\bregex\b|\bexpected\b|invalid_type|invalid_format|Invalid input/i;

describe('validation messages name the field and the rule in words', () => {
  it.each([
    [{ amount: 0 }, 'amount', '`amount` must be more than 0.'],
    [{ amount: 1.5 }, 'amount', '`amount` must be a whole number.'],
    [{ amount: '5' }, 'amount', '`amount` must be a number.'],
    [{ currency: 'ngn' }, 'currency', '`currency` must be an upper-case ISO 4217 code such as NGN.'],
    [
      { provider: 'paypal' },
      'provider',
      '`provider` must be one of `paystack`, `flutterwave`, `stripe`, `chapa`.',
    ],
    [{ reference: 'order 1' }, 'reference', expect.stringContaining('such as order-1042')],
    [{ customer: { email: 'nope' } }, 'customer.email', '`customer.email` must be a valid email.'],
    [{ description: 'x'.repeat(501) }, 'description', '`description` must be at most 500 characters.'],
  ])('%j → %s', (over, param, message) => {
    const error = body(over);
    expect(error.param).toBe(param);
    expect(error.message).toEqual(message);
    expect(error.message).not.toMatch(jargon);
  });

  it.each(['1000', 'abc', '-1'])('?limit=%s says what a limit is', (limit) => {
    const error = refusal(() => parseQuery(event({ queryStringParameters: { limit } }), listQuery));
    expect(error.message).toBe('`limit` must be a whole number from 1 to 100, such as 20.');
  });

  it('a path id that cannot be an id is a 404 saying what an id looks like', () => {
    const error = refusal(() => parseParams(event({ pathParameters: { id: 'pay_nope' } }), paymentParams));
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/^No such object: `id` must be a payment id such as pay_[0-9A-Z]{26}\.$/);
  });
});
