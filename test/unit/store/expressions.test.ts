import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { conditionFailedAt, written } from '#store/conditions';
import { allOf, equals, update } from '#store/expressions';
import { keys } from '#store/keys';

describe('update expressions', () => {
  it('sets the given fields and removes others, with placeholders apart from the condition’s', () => {
    expect(
      update({ version: 3, nextCheckAt: null, skipped: undefined }, ['gsi2pk'], {
        expression: 'version = :version',
        values: { ':version': 2 },
      }),
    ).toEqual({
      UpdateExpression: 'SET #u_version = :u_version, #u_nextCheckAt = :u_nextCheckAt REMOVE #r_gsi2pk',
      ConditionExpression: 'version = :version',
      ExpressionAttributeNames: {
        '#u_version': 'version',
        '#u_nextCheckAt': 'nextCheckAt',
        '#r_gsi2pk': 'gsi2pk',
      },
      ExpressionAttributeValues: { ':version': 2, ':u_version': 3, ':u_nextCheckAt': null },
    });
  });

  it('leaves out a placeholder map with no entries, which DynamoDB refuses', () => {
    const params = update({}, ['gsi2pk', 'gsi2sk']);
    expect(params.UpdateExpression).toBe('REMOVE #r_gsi2pk, #r_gsi2sk');
    expect(params).not.toHaveProperty('ExpressionAttributeValues');
    expect(params).not.toHaveProperty('ConditionExpression');
  });

  it('refuses an empty update and a field that is not an attribute name', () => {
    expect(() => update({ only: undefined })).toThrow(/at least one field/);
    expect(() => update({ 'a = :b, c': 1 })).toThrow(/not an attribute name/);
  });
});

describe('filters', () => {
  it('joins the filters asked for and drops the rest', () => {
    expect(
      allOf(equals('status', 'failed'), equals('provider', undefined), equals('currency', 'NGN')),
    ).toEqual({
      expression: '(#f_status = :f_status) AND (#f_currency = :f_currency)',
      names: { '#f_status': 'status', '#f_currency': 'currency' },
      values: { ':f_status': 'failed', ':f_currency': 'NGN' },
    });
    expect(allOf(equals('status', undefined))).toBeUndefined();
  });
});

describe('created ranges', () => {
  it('are sort-key ranges of ULID ids, open ends spanning the whole prefix', () => {
    expect(keys.paymentsCreated()).toEqual(['PAY#', 'PAY#~']);
    const [lower, upper] = keys.refundsCreated(new Date(0), new Date('2024-10-12T00:00:00Z'));
    expect(lower).toBe('REFUND#re_0000000000');
    expect(upper).toMatch(/^REFUND#re_01J9[0-9A-Z]{6}~$/);
    expect('REFUND#re_01J9Z3K6V8Q2M4N7P5R1T0W3XY' < upper).toBe(false);
  });
});

describe('condition failures', () => {
  const cancelled = (...codes: string[]) =>
    new TransactionCanceledException({
      message: 'cancelled',
      $metadata: {},
      CancellationReasons: codes.map((Code) => ({ Code })),
    });

  it('tells which item of a transaction failed its condition', () => {
    expect(conditionFailedAt(cancelled('None', 'ConditionalCheckFailed'), 1)).toBe(true);
    expect(conditionFailedAt(cancelled('None', 'ConditionalCheckFailed'), 0)).toBe(false);
    expect(conditionFailedAt(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }), 0)).toBe(
      true,
    );
  });

  it('turns a refused write into false and passes any other error on', async () => {
    expect(await written(Promise.resolve({}))).toBe(true);
    expect(await written(Promise.reject(cancelled('ConditionalCheckFailed')))).toBe(false);
    await expect(written(Promise.reject(cancelled('TransactionConflict')))).rejects.toThrow('cancelled');
  });
});
