/**
 * Typed domain errors. Every failure the API can answer with is one of these;
 * `edge/errors.ts` maps them to HTTP once. Anything else is an `api` error
 * (500) whose message never reaches the caller.
 */
export type ErrorType =
  'invalid_request' | 'authentication' | 'permission' | 'rate_limit' | 'provider' | 'api';

export abstract class AppError extends Error {
  abstract readonly type: ErrorType;
  abstract readonly status: number;
  readonly code: string;
  readonly param: string | undefined;

  constructor(code: string, message: string, param?: string) {
    super(message);
    this.code = code;
    this.param = param;
  }
}

/** The request is malformed: bad JSON, unknown or wrongly typed fields (400). */
export class ValidationFailed extends AppError {
  readonly type = 'invalid_request';
  readonly status: number;
  constructor(code: string, message: string, param?: string, status = 400) {
    super(code, message, param);
    this.status = status;
  }
}

/** The object does not exist for this merchant and mode (404). Never says whether it exists elsewhere. */
export class NotFound extends AppError {
  readonly type = 'invalid_request';
  readonly status = 404;
}

/**
 * `No payment pay_… in test mode.`: what was asked for, where it was looked for. Says nothing of
 * other merchants or the other mode.
 */
export function missing(noun: string, id: string, mode: 'test' | 'live', param = 'id'): NotFound {
  return new NotFound('resource_missing', `No ${noun} ${id} in ${mode} mode.`, param);
}

/** The method is not served on this path (405). */
export class MethodNotAllowed extends AppError {
  readonly type = 'invalid_request';
  readonly status = 405;
  readonly allow: readonly string[];
  constructor(allow: readonly string[]) {
    super('method_not_allowed', `This path accepts ${allow.join(', ')}.`);
    this.allow = allow;
  }
}

/** The request conflicts with current state, e.g. a duplicate or a reused idempotency key (409). */
export class Conflict extends AppError {
  readonly type = 'invalid_request';
  readonly status = 409;
}

/** Well-formed but semantically refused, e.g. an unsupported currency for a provider (422). */
export class Unprocessable extends AppError {
  readonly type = 'invalid_request';
  readonly status = 422;
}

/** Missing, malformed, expired or revoked credentials (401). */
export class Unauthenticated extends AppError {
  readonly type = 'authentication';
  readonly status = 401;
}

/** Authenticated but not allowed (403). */
export class Forbidden extends AppError {
  readonly type = 'permission';
  readonly status = 403;
}

/** Too many requests; `retryAfter` in seconds (429). */
export class RateLimited extends AppError {
  readonly type = 'rate_limit';
  readonly status = 429;
  readonly retryAfter: number;
  constructor(code: string, message: string, retryAfter: number) {
    super(code, message);
    this.retryAfter = retryAfter;
  }
}

/**
 * A payment provider failed or refused; the message is the provider's, cleaned of
 * secrets (502). `retryable` is true for timeouts, network errors, 429 and 5xx: the
 * cases where routing may fall back to the next provider.
 */
export class ProviderFailed extends AppError {
  readonly type = 'provider';
  readonly status = 502;
  readonly retryable: boolean;
  constructor(code: string, message: string, retryable: boolean) {
    super(code, message);
    this.retryable = retryable;
  }
}

/** A dependency of ours is unavailable (503). */
export class Unavailable extends AppError {
  readonly type = 'api';
  readonly status = 503;
}
