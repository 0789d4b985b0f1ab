import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Deps } from '#core/identity';
import type { MailKind, MailMessage, MailSender } from '#core/mail';
import { newId } from '#core/ids';
import { config } from '#runtime/config';
import { logger } from '#runtime/logger';

/**
 * The mail adapters. Locally (`PAYBRIDGE_STAGE=local`: `npm start` and the tests)
 * every message goes to the **local outbox**, an in-process list the local API
 * server shows at `GET /_local/outbox` (127.0.0.1 only) and tests read with
 * `outboxMessages()`. The handlers run in the API server's process there, so one
 * list serves both.
 *
 * In the cloud the adapter is Amazon SES (v2 `SendEmail`) from `MAIL_FROM` (the
 * deploy's `-c mailFrom=…`, an SES-verified identity; README, Deploy). A deployment
 * without it logs that a message was not sent (its kind, never the link), and
 * accounts stay unverified — test mode only.
 * Only the three handlers that send mail import this module (register,
 * resend-verification, request-password-reset: `withMail`), so the SES SDK client
 * would reach those bundles alone, never the other functions' cold starts.
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

/**
 * The cloud's stand-in until the SES adapter is configured: says so and fails,
 * so resend answers 503 rather than claiming a link went out (sign-up and reset
 * requests still succeed: their answers never depend on the mail).
 */
export const unconfiguredSender: MailSender = {
  send(message) {
    logger.error('email not sent: no mail sender is configured (README, Auth model)', {
      kind: message.kind,
    });
    return Promise.reject(new Error('no mail sender configured'));
  },
};

let ses: SESv2Client | undefined;

/**
 * Amazon SES v2 `SendEmail`, plain text, from `from`. The client is made at the first
 * message (only the three mail-sending functions ever import this module), with the
 * SDK's own retries; a refusal rejects, so resend answers 503 and says so.
 */
export function sesSender(from: string): MailSender {
  return {
    async send(message) {
      ses ??= new SESv2Client({});
      await ses.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
            },
          },
          EmailTags: [{ Name: 'kind', Value: message.kind }],
        }),
      );
      logger.info('email handed to Amazon SES', { kind: message.kind });
    },
  };
}

/** The sender for this deployment: the local outbox, SES from `MAIL_FROM`, or none. */
export function mailSender(): MailSender {
  const c = config();
  if (c.PAYBRIDGE_STAGE === 'local') return localOutbox;
  return c.MAIL_FROM ? sesSender(c.MAIL_FROM) : unconfiguredSender;
}

/** The identity domain with this deployment's mail sender (resolved at send time, after configuration). */
export const withMail = (deps: Deps): Deps => ({
  ...deps,
  mail: { send: (message) => mailSender().send(message) },
});
