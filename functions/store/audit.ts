import * as z from 'zod/mini';
import { type Actor, actorRef, type RequestMeta } from '#core/actor';
import { newId } from '#core/ids';
import { check, reader } from './items.ts';
import { keys } from './keys.ts';
import { type Page, pageOfPrefix, queryPage } from './pagination.ts';
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

const ref = z.looseObject({ type: check.text, id: check.text });
const readAudit = reader<AuditEntry>('audit', {
  id: check.id('aud_'),
  merchantId: check.text,
  action: check.text,
  actor: ref,
  target: ref,
  createdAt: check.text,
});

/** A merchant's audit log, newest first. */
export async function listAudit(
  merchantId: string,
  limit: number,
  cursor?: string,
): Promise<Page<AuditEntry>> {
  return pageOfPrefix(keys.merchantPartition(merchantId), keys.auditPrefix, limit, cursor, readAudit);
}

/** Everyone's audit log for one month (`yyyy-mm`), newest first: admin only. */
export function listAllAudit(month: string, limit: number, cursor?: string): Promise<Page<AuditEntry>> {
  return queryPage({ index: 'gsi1', partition: keys.auditMonth(month), limit, cursor, read: readAudit });
}
