import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
}

const stateFile = (): string => join(process.env.PAYBRIDGE_STATE_DIR ?? '.local', 'stack.json');

export function writeStackState(state: StackState): void {
  const file = stateFile();
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(state, null, 2));
}

/** The running stack's state, or an empty object when none was written. */
export function readStackState(): StackState {
  try {
    return JSON.parse(readFileSync(stateFile(), 'utf8')) as StackState;
  } catch {
    return {};
  }
}
