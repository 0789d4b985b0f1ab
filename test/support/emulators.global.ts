import type { TestProject } from 'vitest/node';
import { type LocalDynamo, startDynamo } from '#local/dynamodb';
import { createQueues, createTable } from '#local/resources';
import { type LocalSqs, startSqs } from '#local/sqs';
import type { EnvironmentValues } from '#infra/function-environment';
import { localEnvFrom, localValues } from '#local/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    localEnv: Record<string, string>;
    /** What localEnv was made from (the SAM env file is built from the same). */
    localValues: EnvironmentValues;
    dlqUrls: Record<string, string>;
  }
}

/**
 * Starts DynamoDB Local and fauxqs once for the integration tests, on free
 * loopback ports, and stops both afterwards — also when setup fails half-way.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let dynamo: LocalDynamo | undefined;
  let sqs: LocalSqs | undefined;
  const teardown = async () => {
    await Promise.all([dynamo?.stop(), sqs?.stop()]);
  };
  try {
    [dynamo, sqs] = await Promise.all([startDynamo(0), startSqs(0)]);
    await createTable(dynamo.endpoint);
    const queues = await createQueues(sqs.endpoint);
    const values = localValues(dynamo.endpoint, sqs.endpoint, queues);
    project.provide('localEnv', localEnvFrom(values));
    project.provide('localValues', values);
    project.provide('dlqUrls', queues.dlq);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
