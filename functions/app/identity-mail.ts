import { withMail } from '#runtime/mail';
import { identity } from '#app/identity';

/**
 * The identity area with this deployment's mail sender (runtime/mail.ts), for the
 * three functions that send mail: register, resend-verification and
 * request-password-reset. A module of its own, so the mail adapter's SDK reaches
 * their bundles alone, never another function's cold start.
 */
export const mailingIdentity = { ...identity, ...withMail(identity) };
