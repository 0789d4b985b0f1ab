import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Actor, actorRef, type RequestMeta } from '#core/actor';
import { newId } from '#core/ids';
import { dynamoClient } from '#runtime/clients';
import { keys } from './keys.ts';
import { decodeCursor, encodeCursor, type Page, pageOfPrefix } from './pagination.ts';
import { tableName } from './table-name.ts';

export interface AuditEntry {
  id: string;
  merchantId: string;
  actor: { type: string; id: string };
  action: string;
  target: { type: string; id: string };
  mode?: string;
  ip: string;
  userAgent: string;
  requestId: string;
  createdAt: string;
  /** Why, when the action is an exception worth explaining (a late settlement). */
  reason?: string;
}

/**
 * The audit item for one mutating action, to be written in the same transaction
 * as the action itself: an action is never recorded without happening, nor the
 * other way round.
 */
export function auditPut(
  merchantId: string,
  actor: Actor,
  action: string,
  target: { type: string; id: string },
  meta: RequestMeta,
  extra: { mode?: string; actorOverride?: { type: string; id: string }; reason?: string } = {},
) {
  const id = newId('aud');
  const now = new Date();
  const entry: AuditEntry = {
    id,
    merchantId,
    actor: extra.actorOverride ?? actorRef(actor),
    action,
    target,
    ...(extra.mode ? { mode: extra.mode } : {}),
    ip: meta.ip,
    userAgent: meta.userAgent.slice(0, 256),
    requestId: meta.requestId,
    createdAt: now.toISOString(),
    ...(extra.reason ? { reason: extra.reason } : {}),
  };
  return {
    Put: {
      TableName: tableName(),
      Item: { ...keys.audit(merchantId, id), ...keys.auditIndex(now, id), type: 'audit', ...entry },
    },
  };
}

const strip = ({ pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, type: _t, ...rest }: Record<string, unknown>) =>
  rest as unknown as AuditEntry;

/** A merchant's audit log, newest first. */
export async function listAudit(
  merchantId: string,
  limit: number,
  cursor?: string,
): Promise<Page<AuditEntry>> {
  return pageOfPrefix(keys.merchantPartition(merchantId), keys.auditPrefix, limit, cursor, strip);
}

/** Everyone's audit log for one month (`yyyy-mm`), newest first: admin only. */
export async function listAllAudit(month: string, limit: number, cursor?: string): Promise<Page<AuditEntry>> {
  const gsi1pk = `AUDIT#${month}`;
  const out = await dynamoClient().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': gsi1pk },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: decodeCursor(cursor, { name: 'gsi1pk', value: gsi1pk }),
    }),
  );
  return {
    data: (out.Items ?? []).map(strip),
    hasMore: out.LastEvaluatedKey !== undefined,
    nextCursor: encodeCursor(out.LastEvaluatedKey),
  };
}
