import * as z from 'zod/mini';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RequestMeta } from '#core/actor';
import { newId } from '#core/ids';
import { dynamoClient } from '#runtime/clients';
import { config } from '#runtime/config';
import { logger } from '#runtime/logger';
import { check, reader } from './items.ts';
import { keys } from './keys.ts';
import { type Page, pageOfPrefix } from './pagination.ts';
import { hit } from './rate-limits.ts';
import { tableName } from './table-name.ts';

import type { SecurityEventKind } from '#core/identity';

export type { SecurityEventKind };

export interface SecurityEvent {
  id: string;
  kind: SecurityEventKind;
  merchantId: string | null;
  ip: string;
  userAgent: string;
  requestId: string;
  detail: Record<string, string>;
  createdAt: string;
}

/** A security event item: checked (its kind is core's word, unchecked here), without its keys. */
const readSecurityEvent = reader<SecurityEvent>(
  'security event',
  { id: check.id('sec_'), merchantId: z.nullable(check.text), createdAt: check.text },
  { type: 'security_event' },
);

/** The item for a security event, for use inside a transaction. */
export function securityEventPut(
  merchantId: string | undefined,
  kind: SecurityEventKind,
  meta: RequestMeta,
  detail: Record<string, string> = {},
) {
  const id = newId('sec');
  const event: SecurityEvent = {
    id,
    kind,
    merchantId: merchantId ?? null,
    ip: meta.ip,
    userAgent: meta.userAgent.slice(0, 256),
    requestId: meta.requestId,
    detail,
    createdAt: new Date().toISOString(),
  };
  return {
    TableName: tableName(),
    Item: { ...keys.securityEvent(merchantId, id), type: 'security_event', ...event },
  };
}

/**
 * Records a security event on its own, at most `SECURITY_EVENTS_PER_MINUTE` per
 * merchant: whoever can send forged webhooks or bad sign-ins for a merchant must
 * not be able to grow its partition without bound. Beyond the limit the event is
 * only logged (kind and merchant, nothing secret). Unattributed events are sharded
 * instead (keys.ts).
 */
export async function recordSecurityEvent(
  merchantId: string | undefined,
  kind: SecurityEventKind,
  meta: RequestMeta,
  detail: Record<string, string> = {},
): Promise<void> {
  if (merchantId !== undefined) {
    const budget = await hit('security_events', merchantId, config().SECURITY_EVENTS_PER_MINUTE, 60);
    if (!budget.allowed) {
      logger.warn('security event not stored: per-merchant limit reached', { kind, merchantId });
      return;
    }
  }
  await dynamoClient().send(new PutCommand(securityEventPut(merchantId, kind, meta, detail)));
}

/** A merchant's security events, newest first. */
export async function listSecurityEvents(
  merchantId: string,
  limit: number,
  cursor?: string,
): Promise<Page<SecurityEvent>> {
  return pageOfPrefix(
    keys.merchantPartition(merchantId),
    keys.securityPrefix,
    limit,
    cursor,
    readSecurityEvent,
  );
}
