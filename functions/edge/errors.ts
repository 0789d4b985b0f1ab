import { AppError, MethodNotAllowed, RateLimited } from '#core/errors';

/** Our error body (ARCHITECTURE.md, Conventions). */
export interface ErrorBody {
  error: {
    type: string;
    code: string;
    message: string;
    param?: string;
    requestId: string;
  };
}

export interface ErrorReply {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/**
 * The one mapping from errors to HTTP. Typed domain errors keep their status and
 * code; anything else becomes a 500 whose message says nothing about internals.
 */
export function errorReply(error: unknown, requestId: string): ErrorReply {
  if (error instanceof AppError) {
    const headers: Record<string, string> = {};
    if (error instanceof RateLimited) headers['retry-after'] = String(error.retryAfter);
    if (error instanceof MethodNotAllowed) headers.allow = error.allow.join(', ');
    return {
      status: error.status,
      headers,
      body: {
        error: {
          type: error.type,
          code: error.code,
          message: error.message,
          ...(error.param === undefined ? {} : { param: error.param }),
          requestId,
        },
      },
    };
  }
  return {
    status: 500,
    headers: {},
    body: {
      error: {
        type: 'api',
        code: 'internal_error',
        message: 'Something went wrong on our side. It has been logged; retrying is safe.',
        requestId,
      },
    },
  };
}
