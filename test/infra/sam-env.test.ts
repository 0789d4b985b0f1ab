import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template as Assertions } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentValues } from '#infra/function-environment';
import { allFunctions } from '#local/functions';
import {
  type DescribeStacksAnswer,
  deployedSamEnv,
  exportsOf,
  importedStacks,
  localSamEnv,
  logicalIdOf,
  type Template,
  templateFunctions,
  UnknownFunction,
  UnresolvedVariable,
  withoutLayers,
} from '#local/sam';
import { buildApp } from '../../lib/app.ts';

let template: Template;

beforeAll(() => {
  // The real app at the default stage, as `npm run synth` makes it (the CLI adds path
  // metadata); bundling is skipped (`aws:cdk:bundling-stacks`): it changes code assets only.
  const built = buildApp({
    app: new App({
      context: { stage: 'dev', 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true },
    }),
  });
  built.app.synth();
  template = Assertions.fromStack(built.api).toJSON() as Template;
});

/** What `npm start` would hand sam:env: loopback endpoints and throw-away keys. */
const local: EnvironmentValues = {
  stage: 'local',
  version: '0.1.0',
  tableName: 'paybridge-local',
  providerEventsQueueUrl: 'http://127.0.0.1:9324/000000000000/paybridge-provider-events',
  deliveriesQueueUrl: 'http://127.0.0.1:9324/000000000000/paybridge-deliveries',
  deliveriesDlqUrl: 'http://127.0.0.1:9324/000000000000/paybridge-deliveries-dlq',
  secretsKeyId: '',
  jwtKeysSecretArn: '',
  jwtPublicKeysSecretArn: '',
  dynamoEndpoint: 'http://127.0.0.1:8000',
  sqsEndpoint: 'http://127.0.0.1:9324',
  localMasterKey: 'bG9jYWwtbWFzdGVyLWtleS1vZi0zMi1ieXRlcyEhISE=',
  jwtKeys: '{"keys":[]}',
  jwtPublicKeys: '{"keys":[]}',
};

const templateKeys = (logicalId: string): string[] =>
  Object.keys(template.Resources[logicalId]?.Properties?.Environment?.Variables ?? {}).sort();

describe('sam:env for the local stack', () => {
  it('has an entry for every function in the template, each with exactly its template variables', () => {
    const env = localSamEnv(template, local, 'host.docker.internal');
    const ids = templateFunctions(template).map((fn) => fn.logicalId);
    expect(ids.length).toBe(allFunctions().size);
    expect(Object.keys(env).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(Object.keys(env[id] ?? {}).sort(), id).toEqual(templateKeys(id));
  });

  it('points every endpoint and queue URL at the container-reachable host, and fills the local keys', () => {
    const env = localSamEnv(template, local, 'host.docker.internal');
    const text = JSON.stringify(env);
    expect(text).not.toMatch(/127\.0\.0\.1|localhost/);
    const createPayment = env[logicalIdOf(template, 'create-payment')];
    expect(createPayment).toMatchObject({
      TABLE_NAME: 'paybridge-local',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://host.docker.internal:8000',
      DELIVERIES_QUEUE_URL: 'http://host.docker.internal:9324/000000000000/paybridge-deliveries',
      PAYBRIDGE_STAGE: 'local',
      SECRETS_KEY_ID: '',
      LOCAL_MASTER_KEY: local.localMasterKey,
      JWT_PUBLIC_KEYS_SECRET_ARN: '',
      JWT_PUBLIC_KEYS: local.jwtPublicKeys,
    });
    // Only the functions that sign get the private signing set, in SAM as in the cloud.
    expect(createPayment).not.toHaveProperty('JWT_KEYS');
    expect(env[logicalIdOf(template, 'login')]).toMatchObject({ JWT_KEYS: local.jwtKeys });
    const health = env[logicalIdOf(template, 'get-health')];
    expect(health?.AWS_ENDPOINT_URL_SQS).toBe('http://host.docker.internal:9324');
    // Another host (SAM_HOST) is honoured.
    const other = localSamEnv(template, local, '172.17.0.1');
    expect(other[logicalIdOf(template, 'get-health')]?.AWS_ENDPOINT_URL_DYNAMODB).toBe(
      'http://172.17.0.1:8000',
    );
  });

  it('holds only strings: no CloudFormation reference reaches SAM', () => {
    const env = localSamEnv(template, local, 'host.docker.internal');
    for (const entry of Object.values(env)) {
      for (const value of Object.values(entry)) expect(typeof value).toBe('string');
    }
  });
});

describe('the local template', () => {
  it('drops the extension layer SAM would download, and keeps every function, variable and asset path', () => {
    const local = withoutLayers(template);
    const getMe = logicalIdOf(template, 'get-me');
    expect(template.Resources[getMe]?.Properties?.Layers).toBeDefined();
    for (const fn of templateFunctions(template)) {
      const resource = local.Resources[fn.logicalId];
      expect(resource?.Properties?.Layers, fn.logicalId).toBeUndefined();
      expect(resource?.Properties?.Environment).toEqual(
        template.Resources[fn.logicalId]?.Properties?.Environment,
      );
      expect(resource?.Metadata).toEqual(template.Resources[fn.logicalId]?.Metadata);
    }
    expect(Object.keys(local.Resources)).toEqual(Object.keys(template.Resources));
  });
});

describe('function names', () => {
  it('maps every route, the fallback and every worker to one logical id of the template', () => {
    const ids = new Set<string>();
    for (const name of allFunctions().keys()) {
      const id = logicalIdOf(template, name);
      expect(template.Resources[id]?.Type).toBe('AWS::Lambda::Function');
      ids.add(id);
    }
    expect(ids.size).toBe(allFunctions().size);
    expect(logicalIdOf(template, 'deliver-webhooks')).toMatch(/^DeliverWebhooksFunction/);
  });

  it('says which names exist when one is unknown', () => {
    expect(() => logicalIdOf(template, 'create-paymnet')).toThrow(UnknownFunction);
    expect(() => logicalIdOf(template, 'create-paymnet')).toThrow(
      /unknown function create-paymnet;.*create-payment/,
    );
  });
});

describe('sam:env for a deployed stack', () => {
  // Shaped like `aws cloudformation describe-stacks --stack-name PayBridge-dev-Data`: the
  // export names are the template's own, the values are made up (no AWS account here).
  const answer = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', 'support', 'fixtures', 'describe-stacks-data.json'), 'utf8'),
  ) as DescribeStacksAnswer;

  it('reads the data stack the template imports from', () => {
    expect(importedStacks(template)).toEqual(['PayBridge-dev-Data']);
  });

  it("turns every import into the data stack's output value, keeping the template's literals", () => {
    const env = deployedSamEnv(template, exportsOf(answer));
    for (const fn of templateFunctions(template)) {
      expect(Object.keys(env[fn.logicalId] ?? {}).sort()).toEqual(templateKeys(fn.logicalId));
    }
    expect(env[logicalIdOf(template, 'create-payment')]).toMatchObject({
      TABLE_NAME: 'PayBridge-dev-Data-TableCD117FA1-1A2B3C4D5E6F',
      PROVIDER_EVENTS_QUEUE_URL:
        'https://sqs.eu-west-1.amazonaws.com/123456789012/paybridge-provider-events-dev',
      DELIVERIES_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/paybridge-deliveries-dev',
      DELIVERIES_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/paybridge-deliveries-dlq-dev',
      SECRETS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/0b7c2f4e-9d1a-4c3b-8e6f-2a5d7c9e1f30',
      JWT_PUBLIC_KEYS_SECRET_ARN: expect.stringMatching(/^arn:aws:secretsmanager:.*JwtPublicKeys/),
      PAYBRIDGE_STAGE: 'cloud',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      // The local slots stay empty: the deployed stack's SDK endpoints and keys apply.
      AWS_ENDPOINT_URL_DYNAMODB: '',
      LOCAL_MASTER_KEY: '',
      JWT_PUBLIC_KEYS: '',
    });
    expect(env[logicalIdOf(template, 'login')]?.JWT_KEYS_SECRET_ARN).toMatch(/JwtKeys8ED4F9F0/);
  });

  it('refuses a stack whose outputs miss an export the template imports', () => {
    const partial: DescribeStacksAnswer = {
      Stacks: [{ StackName: 'PayBridge-dev-Data', Outputs: answer.Stacks?.[0]?.Outputs?.slice(1) ?? [] }],
    };
    expect(() => deployedSamEnv(template, exportsOf(partial))).toThrow(UnresolvedVariable);
  });
});
