/**
 * `npm run invoke -- <function> <event.json>`: runs one function with a sample
 * event against a throw-away local DynamoDB and SQS, and prints its result —
 * the stand-in for `sam local invoke`, which needs Docker. A sample's credential
 * placeholders are filled with a merchant seeded into that stack (local/seed.ts), so an
 * authenticated sample shows its real answer.
 *
 *   npm run invoke -- get-health events/get-health.json
 */
import { readFileSync } from 'node:fs';
import { JavaMissing } from './dynamodb.ts';
import { allFunctions } from './functions.ts';
import { lambdaContext, loadHandler } from './lambda.ts';
import { fillPlaceholders, placeholdersIn, seedSampleMerchant } from './seed.ts';
import { startLocalStack } from './stack.ts';

const [name, file] = process.argv.slice(2);
const functions = allFunctions();
const handlerModule = name ? functions.get(name) : undefined;
if (name && !handlerModule) {
  console.error(`unknown function ${name}`);
  console.error(`functions: ${[...functions.keys()].join(', ')}`);
  process.exit(2);
}
if (!file || !handlerModule) {
  console.error('usage: npm run invoke -- <function> <event.json>');
  console.error(`functions: ${[...functions.keys()].join(', ')}`);
  process.exit(2);
}

let event: unknown;
try {
  event = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`cannot read ${file}: ${(error as Error).message}`);
  process.exit(2);
}

try {
  const stack = await startLocalStack({ api: false, workers: false });
  try {
    if (placeholdersIn(JSON.stringify(event)).length > 0)
      event = fillPlaceholders(event, await seedSampleMerchant());
    const handler = await loadHandler(handlerModule);
    const result = await handler(event, lambdaContext(handlerModule));
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await stack.stop();
  }
} catch (error) {
  console.error(error instanceof JavaMissing ? error.message : error);
  process.exit(1);
}
