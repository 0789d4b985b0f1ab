import type { MailKind, MailMessage, MailSender } from '#core/mail';
import { newId } from '#core/ids';
import { config } from './config.ts';
import { logger } from './logger.ts';

/**
 * The mail adapters. Locally (`PAYBRIDGE_STAGE=local`: `npm start` and the tests)
 * every message goes to the **local outbox**, an in-process list the local API
 * server shows at `GET /_local/outbox` (127.0.0.1 only) and tests read with
 * `outboxMessages()`. The handlers run in the API server's process there, so one
 * list serves both.
 *
 * In the cloud the production adapter is an Amazon SES (v2 `SendEmail`) sender
 * behind `MailSender`; it is not wired in yet (README, Auth model): until it is,
 * a deployment logs that a message was not sent (its kind and id, never the link)
 * and the account stays unverified — test mode only — until an operator helps.
 * The SES SDK client would live in this module alone, imported by the four
 * functions that send mail (register, resend, password reset), never by the rest.
 */

export interface OutboxMessage extends MailMessage {
  readonly id: string;
  readonly createdAt: string;
}

/** At most this many messages are kept (oldest dropped): a long `npm start` session stays small. */
export const outboxMax = 1_000;

// On globalThis: a handler module loaded twice (tests import it too) still shares one outbox.
const slot = Symbol.for('paybridge.localOutbox');
function outbox(): OutboxMessage[] {
  const g = globalThis as { [slot]?: OutboxMessage[] };
  g[slot] ??= [];
  return g[slot];
}

/** The local outbox, oldest first; only the messages to `to` when given. */
export function outboxMessages(filter: { to?: string; kind?: MailKind } = {}): OutboxMessage[] {
  return outbox().filter(
    (m) =>
      (filter.to === undefined || m.to === filter.to.trim().toLowerCase()) &&
      (filter.kind === undefined || m.kind === filter.kind),
  );
}

export const localOutbox: MailSender = {
  send(message) {
    const list = outbox();
    const stored: OutboxMessage = { ...message, id: newId('msg'), createdAt: new Date().toISOString() };
    list.push(stored);
    if (list.length > outboxMax) list.splice(0, list.length - outboxMax);
    // The link is a credential: the log says where to read it, never what it is.
    logger.info('email written to the local outbox (GET /_local/outbox)', {
      kind: message.kind,
      messageId: stored.id,
    });
    return Promise.resolve();
  },
};

/** The cloud's stand-in until the SES adapter is configured: says so, sends nothing. */
export const unconfiguredSender: MailSender = {
  send(message) {
    logger.error('email not sent: no mail sender is configured (README, Auth model)', {
      kind: message.kind,
    });
    return Promise.resolve();
  },
};

/** The sender for this deployment. */
export function mailSender(): MailSender {
  return config().PAYBRIDGE_STAGE === 'local' ? localOutbox : unconfiguredSender;
}
