import { afterAll, beforeAll } from 'vitest';
import { type SandboxOptions, type Sandboxes, startSandboxes } from '#local/sandboxes/server';
import { startReceiver, type WebhookReceiver } from './sandbox-receiver.ts';

export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read provider answers of every shape.
  readonly body: any;
}

/** Fetches and reads the answer as JSON (or text when it is not JSON). */
export async function fetchJson(url: string, init?: RequestInit): Promise<JsonAnswer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

/**
 * Starts the provider sandboxes and a webhook receiver for one test file, with a fast
 * webhook retry schedule, and stops both afterwards.
 */
export function useSandboxes(options: SandboxOptions = {}) {
  let sandboxes: Sandboxes | undefined;
  let receiver: WebhookReceiver | undefined;
  beforeAll(async () => {
    [sandboxes, receiver] = await Promise.all([
      startSandboxes(0, { webhookRetryDelaysMs: [100, 200, 400], ...options }),
      startReceiver(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([sandboxes?.stop(), receiver?.stop()]);
  });
  const sandbox = (): Sandboxes => {
    if (!sandboxes) throw new Error('sandboxes not started');
    return sandboxes;
  };
  const hooks = (): WebhookReceiver => {
    if (!receiver) throw new Error('receiver not started');
    return receiver;
  };
  /** Calls the `/_sandbox` control API. */
  const control = (method: string, path: string, body?: unknown): Promise<JsonAnswer> =>
    fetchJson(`${sandbox().url}/_sandbox${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  /** Clicks Pay or Decline on a checkout page, as JSON. */
  const clickOn = (checkoutUrl: string, outcome: 'success' | 'decline'): Promise<JsonAnswer> =>
    fetchJson(`${checkoutUrl}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome }),
    });
  return { sandbox, hooks, control, clickOn };
}
