/**
 * Email to users: the port and the messages. PayBridge sends two kinds, both
 * carrying a single-use link: email verification and password reset. How a
 * message leaves is an adapter (runtime/mail.ts): the local outbox in the
 * local stack and tests; in the cloud, the production adapter is an Amazon SES
 * sender behind this same interface (README, Auth model).
 */

export type MailKind = 'verify_email' | 'password_reset';

export interface MailMessage {
  readonly kind: MailKind;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** The single-use link the message carries (verification or reset). */
  readonly link: string;
}

/** The port: sends one message. Rejects when the message could not be handed over. */
export interface MailSender {
  send(message: MailMessage): Promise<void>;
}

const hours = (seconds: number) => Math.round(seconds / 3600);

export function verificationEmail(to: string, link: string, ttlSeconds: number): MailMessage {
  return {
    kind: 'verify_email',
    to,
    subject: 'Verify your email address for PayBridge',
    text: [
      'Welcome to PayBridge.',
      '',
      'Open this link to verify your email address. Until you do, your account works in test mode only:',
      link,
      '',
      `The link works once and expires in ${hours(ttlSeconds)} hours. If you did not sign up, ignore this message.`,
    ].join('\n'),
    link,
  };
}

export function passwordResetEmail(to: string, link: string, ttlSeconds: number): MailMessage {
  const minutes = Math.round(ttlSeconds / 60);
  return {
    kind: 'password_reset',
    to,
    subject: 'Reset your PayBridge password',
    text: [
      'Someone asked to reset the password of your PayBridge account.',
      '',
      'Open this link to choose a new password. Every session of your account ends when you do:',
      link,
      '',
      `The link works once and expires in ${minutes} minutes. If you did not ask for it, ignore this message: your password stays as it is.`,
    ].join('\n'),
    link,
  };
}
