import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RequestMeta } from '#core/actor';
import { newId } from '#core/ids';
import { dynamoClient } from '#platform/clients';
import { keys } from './keys.ts';
import { type Page, pageOfPrefix } from './pagination.ts';
import { tableName } from './table-name.ts';

export type SecurityEventKind =
  | 'login_failed'
  | 'account_locked'
  | 'refresh_token_reused'
  | 'api_key_rejected'
  | 'webhook_signature_rejected'
  /** A provider's payments settle only through the reconciliation sweeper: its webhook URL is probably wrong. */
  | 'provider_webhooks_silent';

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

/** Records a security event on its own. */
export async function recordSecurityEvent(
  merchantId: string | undefined,
  kind: SecurityEventKind,
  meta: RequestMeta,
  detail: Record<string, string> = {},
): Promise<void> {
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
    ({ pk: _p, sk: _s, type: _t, ...rest }) => rest as unknown as SecurityEvent,
  );
}
