import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod/mini';
import { config } from '#runtime/config';
import { ValidationFailed } from '#core/errors';

/** Bodies larger than this are refused before parsing (API Gateway allows 10 MB). */
export const defaultMaxBodyBytes = 64 * 1024;

export type Schema<T> = z.ZodMiniType<T, unknown>;

/** The raw request body as bytes, undoing API Gateway's base64 for binary bodies. */
export function rawBody(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** Parses and validates a JSON body; every refusal is a 4xx in our error shape. */
export function parseBody<T>(
  event: APIGatewayProxyEventV2,
  schema: Schema<T> | undefined,
  maxBytes: number,
): T {
  const bytes = rawBody(event);
  if (bytes.length > maxBytes) {
    throw new ValidationFailed(
      'body_too_large',
      `The request body is ${bytes.length} bytes; the limit is ${maxBytes}.`,
      undefined,
      413,
    );
  }
  if (!schema) {
    if (bytes.length > 0) throw new ValidationFailed('unexpected_body', 'This route takes no request body.');
    return undefined as T;
  }
  let data: unknown = {};
  if (bytes.length > 0) {
    const type = header(event, 'content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new ValidationFailed(
        'unsupported_media_type',
        'Send the request body as JSON with `Content-Type: application/json`.',
        undefined,
        415,
      );
    }
    try {
      data = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new ValidationFailed('invalid_json', 'The request body is not valid JSON.');
    }
  }
  return validate(schema, data, 'body');
}

/** Validates query parameters; a route with no query schema accepts none. */
export function parseQuery<T>(event: APIGatewayProxyEventV2, schema: Schema<T> | undefined): T {
  const query = event.queryStringParameters ?? {};
  if (!schema) {
    const name = Object.keys(query)[0];
    if (name !== undefined) {
      throw new ValidationFailed('unknown_parameter', `Unknown query parameter \`${name}\`.`, name);
    }
    return {} as T;
  }
  return validate(schema, query, 'query');
}

/** Validates path parameters. */
export function parseParams<T>(event: APIGatewayProxyEventV2, schema: Schema<T> | undefined): T {
  const params = event.pathParameters ?? {};
  if (!schema) return params as T;
  return validate(schema, params, 'path', 404);
}

/** A request header, case-insensitively (API Gateway v2 lower-cases them already). */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === want) return value;
  }
  return undefined;
}

/**
 * Where people reach PayBridge, for the links it hands out (emailed links, payment links):
 * `PUBLIC_BASE_URL` (the dashboard's domain in the cloud: `-c publicBaseUrl=…`; the local API
 * locally), else the host the request came to.
 */
export function publicBaseUrl(event: APIGatewayProxyEventV2): string {
  return config().PUBLIC_BASE_URL ?? `https://${event.requestContext.domainName}`;
}

/**
 * The request's `Idempotency-Key`, required from every caller on routes that move money (a
 * double-clicked button or a retried request must not act twice): 1–255 printable ASCII characters.
 */
export function idempotencyKeyOf(event: APIGatewayProxyEventV2, route: string): string {
  const key = header(event, 'idempotency-key');
  if (key === undefined) {
    throw new ValidationFailed(
      'idempotency_key_required',
      `Send an Idempotency-Key header with every ${route}: a retried request must not act twice.`,
      'Idempotency-Key',
    );
  }
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ValidationFailed(
      'invalid_idempotency_key',
      'Idempotency-Key must be 1–255 printable ASCII characters.',
      'Idempotency-Key',
    );
  }
  return key;
}

type Where = 'body' | 'query' | 'path';

function validate<T>(schema: Schema<T>, data: unknown, where: Where, status = 400): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ValidationFailed('invalid_request', `The ${where} is invalid.`);
  const path = issue.path.map(String);
  if (status === 404) {
    // A path parameter that cannot name anything: say what it should look like.
    const field = path.join('.') || 'id';
    throw new ValidationFailed(
      'resource_missing',
      `No such object: \`${field}\` ${rule(issue)}.`,
      field,
      404,
    );
  }
  if (issue.code === 'unrecognized_keys') {
    const field = [...path, String(issue.keys[0])].join('.');
    const what = where === 'query' ? 'query parameter' : 'field';
    throw new ValidationFailed(
      `unknown_${where === 'query' ? 'parameter' : 'field'}`,
      `Unknown ${what} \`${field}\`.`,
      field,
    );
  }
  const field = path.join('.');
  if (issue.code === 'invalid_type' && valueAt(data, path) === undefined) {
    throw new ValidationFailed('missing_field', `\`${field}\` is required.`, field);
  }
  if (issue.code === 'invalid_type' && path.length === 0) {
    throw new ValidationFailed('invalid_request', `The ${where} must be a JSON object.`);
  }
  throw new ValidationFailed('invalid_field', `\`${field}\` ${rule(issue)}.`, field);
}

function valueAt(data: unknown, path: readonly string[]): unknown {
  let node: unknown = data;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** zod's own text when none was given: never shown to a caller. */
const defaultMessage = 'Invalid input';

/** The rule a value broke, in words ("must be at least 1"), never the validator's vocabulary. */
function rule(issue: z.core.$ZodIssue): string {
  // A schema that states its rule (`{ error: 'must be … such as …' }`) says it best.
  if (issue.message && issue.message !== defaultMessage) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${describe(issue.expected)}`;
    case 'too_small':
      return `must be ${bound(issue.inclusive ?? true, 'at least', 'more than', issue.minimum, issue.origin)}`;
    case 'too_big':
      return `must be ${bound(issue.inclusive ?? true, 'at most', 'less than', issue.maximum, issue.origin)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => `\`${String(v)}\``).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' ? 'is not in the accepted format' : `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_union':
    case 'invalid_key':
    case 'invalid_element':
    case 'unrecognized_keys':
    case 'custom':
      return 'is not valid here';
  }
}

function describe(expected: string): string {
  if (expected === 'int') return 'a whole number';
  if (expected === 'object') return 'an object';
  if (expected === 'array') return 'an array';
  if (expected === 'boolean') return '`true` or `false`';
  return `a ${expected}`;
}

function bound(
  inclusive: boolean,
  inclusiveWord: string,
  exclusiveWord: string,
  limit: number | bigint,
  origin: string,
): string {
  const unit = origin === 'string' ? ' characters' : origin === 'array' ? ' items' : '';
  return `${inclusive ? inclusiveWord : exclusiveWord} ${String(limit)}${unit}`;
}
