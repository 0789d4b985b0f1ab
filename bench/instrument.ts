import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';

/**
 * What the bench sees of the product's AWS and provider calls, without changing
 * product code: one middleware on the shared clients' stacks (`dynamoClient()`,
 * `sqsClient()` from `#runtime/clients`, and the bench's own queue-worker SQS
 * client), a wrapper around the global `fetch` the provider adapters use, and an
 * AsyncLocalStorage tag that names the function (handler module) a call came from.
 *
 * Modes:
 * - `off`: the middleware passes straight through (one extra closure call);
 * - `capture`: records command name, a reference to its input and its start and
 *   end (the warm-overhead replay); the request is not changed;
 * - `count`: as `capture`, plus `ReturnConsumedCapacity: 'TOTAL'` on every
 *   DynamoDB request and the capacity DynamoDB Local reports back.
 */

export interface Tag {
  /** The function's short name (`create-payment`), or a label of the bench's own. */
  readonly fn: string;
  /** `handler`: inside a handler invocation; `poll`: a queue worker's receive/delete loop. */
  readonly phase: 'handler' | 'poll';
}

export const tags = new AsyncLocalStorage<Tag>();

export type Service = 'dynamodb' | 'sqs' | 'http';
export type Mode = 'off' | 'capture' | 'count';

export interface CallRecord {
  readonly service: Service;
  /** `GetItem`, `SendMessage`, … ; `fetch` for provider calls. */
  readonly command: string;
  /** The tag's function, or `untagged` (e.g. a handler the local API server invoked). */
  readonly fn: string;
  readonly phase: Tag['phase'] | undefined;
  /** The command's input as the caller built it (document-client shape, never copied). */
  readonly input: Readonly<Record<string, unknown>>;
  readonly startedAt: number;
  endedAt?: number;
  ok?: boolean;
  error?: string;
  /** DynamoDB capacity units DynamoDB Local reported (count mode); undefined when none came back. */
  capacity?: number;
  /** The units DynamoDB would bill, once resolved (bench/calls.ts `resolveUnits`), and where they come from. */
  units?: number;
  unitSource?: 'reported' | 'computed' | 'minimum' | 'estimated';
  /** TransactWriteItems: the computed units of each item, in order. */
  itemUnits?: number[];
  /** ReceiveMessage: how many messages came back. */
  messages?: number;
}

class Recorder {
  mode: Mode = 'off';
  records: CallRecord[] = [];
  /** Calls started and not finished, long-poll receives excluded (they are always pending). */
  inFlight = 0;

  start(service: Service, command: string, input: Readonly<Record<string, unknown>>): CallRecord {
    const tag = tags.getStore();
    const record: CallRecord = {
      service,
      command,
      fn: tag?.fn ?? 'untagged',
      phase: tag?.phase,
      input,
      startedAt: performance.now(),
    };
    // A long-poll receive is kept when it ends: the one that returns an operation's
    // message was started before the operation (and is always pending between them).
    if (command !== 'ReceiveMessage') {
      this.records.push(record);
      this.inFlight += 1;
    }
    return record;
  }

  end(record: CallRecord, ok: boolean, error?: string): void {
    record.endedAt = performance.now();
    record.ok = ok;
    if (error !== undefined) record.error = error;
    if (record.command === 'ReceiveMessage') {
      if (this.mode !== 'off') this.records.push(record);
    } else this.inFlight -= 1;
  }

  /** Forgets what was recorded (the in-flight count stays: those calls are still running). */
  reset(): void {
    this.records = [];
  }

  /** Everything recorded since `reset()` (calls in the order they started; receives when they ended). */
  take(): CallRecord[] {
    const taken = this.records;
    this.records = [];
    return taken;
  }
}

export const recorder = new Recorder();

/** Sums a `ConsumedCapacity` answer: one object (single-item calls) or a list (transactions, batches). */
export function capacityOf(consumed: unknown): number | undefined {
  const list = Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed];
  if (list.length === 0) return undefined;
  let total = 0;
  for (const entry of list) {
    const units = (entry as { CapacityUnits?: unknown }).CapacityUnits;
    if (typeof units === 'number') total += units;
  }
  return total;
}

const middlewareName = 'paybridgeBenchRecorder';

type Next = (args: { input: unknown }) => Promise<{ output: unknown }>;
type Middleware = (next: Next, context: { commandName?: string }) => Next;

function recording(service: 'dynamodb' | 'sqs'): Middleware {
  return (next, context) => async (args) => {
    const mode = recorder.mode;
    const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    // Receives are always followed: one started while off may return an operation's message.
    if (mode === 'off' && command !== 'ReceiveMessage') return next(args);
    const input = (args.input ?? {}) as Record<string, unknown>;
    const record = recorder.start(service, command, input);
    const sent =
      mode === 'count' && service === 'dynamodb'
        ? { ...args, input: { ...input, ReturnConsumedCapacity: 'TOTAL' } }
        : args;
    try {
      const result = await next(sent);
      const output = (result.output ?? {}) as Record<string, unknown>;
      if (mode === 'count' && service === 'dynamodb') {
        const capacity = capacityOf(output.ConsumedCapacity);
        if (capacity !== undefined) record.capacity = capacity;
      }
      if (command === 'ReceiveMessage') {
        record.messages = Array.isArray(output.Messages) ? output.Messages.length : 0;
      }
      recorder.end(record, true);
      return result;
    } catch (error) {
      recorder.end(record, false, (error as Error).name);
      throw error;
    }
  };
}

interface Stacked {
  readonly middlewareStack: {
    add(middleware: never, options: { step: 'initialize'; name: string; override: boolean }): void;
    remove(name: string): boolean;
  };
}

function addTo(client: Stacked, service: 'dynamodb' | 'sqs'): void {
  client.middlewareStack.add(recording(service) as never, {
    step: 'initialize',
    name: middlewareName,
    override: true,
  });
}

/** Puts the recorder on a client's middleware stack (idempotent: the name is overridden). */
export function instrumentDynamo(client: DynamoDBDocumentClient): void {
  addTo(client, 'dynamodb');
}

export function instrumentSqs(client: SQSClient): void {
  addTo(client, 'sqs');
}

let originalFetch: typeof fetch | undefined;

/**
 * Records the provider calls handlers make through the global `fetch` (only inside
 * a handler invocation the bench tagged, so the bench's own calls and the
 * sandboxes' webhooks stay out).
 */
export function instrumentFetch(): void {
  if (originalFetch) return;
  const original = globalThis.fetch;
  originalFetch = original;
  globalThis.fetch = async (resource: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const tag = tags.getStore();
    if (recorder.mode === 'off' || tag?.phase !== 'handler') return original(resource, init);
    const url =
      typeof resource === 'string' ? resource : resource instanceof URL ? resource.href : resource.url;
    const record = recorder.start('http', 'fetch', { url, init: init ?? {} });
    try {
      const response = await original(resource, init);
      recorder.end(record, true);
      return response;
    } catch (error) {
      recorder.end(record, false, (error as Error).name);
      throw error;
    }
  };
}

export function restoreFetch(): void {
  if (originalFetch) globalThis.fetch = originalFetch;
  originalFetch = undefined;
}

/** The unfetched original, for the bench's own calls and bare replays. */
export const bareFetch = (): typeof fetch => originalFetch ?? globalThis.fetch;
