import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentValues } from '#infra/function-environment';

/**
 * Where `npm start` says what runs where, for `npm run demo` and the other local tools:
 * `.local/stack.json`, or under `PAYBRIDGE_STATE_DIR` (tests point it elsewhere so a test run never
 * overwrites the file of the stack the developer is running).
 */
export interface StackState {
  readonly api?: string | undefined;
  readonly sandboxes?: string | undefined;
  /** DynamoDB Local's endpoint and the table, for `npm run admin`. */
  readonly dynamodb?: string;
  readonly table?: string | undefined;
  readonly pid?: number;
  /** The stack's throw-away keys and endpoints, for `npm run sam:env`. */
  readonly values?: EnvironmentValues;
  /** The address it relays to for containers (`--listen-for-containers`). */
  readonly containers?: string | undefined;
}

/** The state file's path. */
export const stackStatePath = (): string => join(process.env.PAYBRIDGE_STATE_DIR ?? '.local', 'stack.json');

/** Writes the state, readable by this user only (it holds the local stack's keys). */
export function writeStackState(state: StackState): void {
  const file = stackStatePath();
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The running stack's state, or an empty object when none was written. */
export function readStackState(): StackState {
  try {
    return JSON.parse(readFileSync(stackStatePath(), 'utf8')) as StackState;
  } catch {
    return {};
  }
}
