import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type Route, routes, type ScheduledWorker, scheduledWorkers, type Worker, workers } from '#routes';
import { ApiStack } from './api-stack.ts';
import { DataStack } from './data-stack.ts';

export interface BuildOptions {
  readonly app?: App;
  readonly routes?: readonly Route[];
  readonly workers?: readonly Worker[];
  readonly scheduledWorkers?: readonly ScheduledWorker[];
}

/**
 * Builds the PayBridge app: the data stack, the API stack over the route table,
 * and cdk-nag's AwsSolutions checks. Context: `stage` (default `dev`),
 * `alarmEmail` (optional). `prod` retains data and logs on stack deletion.
 */
export function buildApp(options: BuildOptions = {}): { app: App; data: DataStack; api: ApiStack } {
  const app = options.app ?? new App();
  // Strong references: CloudFormation refuses to delete a data export the API still uses.
  if (app.node.tryGetContext('@aws-cdk/core:defaultCrossStackReferences') === undefined) {
    app.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
  }
  const stage = String(app.node.tryGetContext('stage') ?? 'dev');
  const alarmEmail = app.node.tryGetContext('alarmEmail') as string | undefined;
  const retain = stage === 'prod';
  const version = (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  const env =
    process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined;
  const data = new DataStack(app, `PayBridge-${stage}-Data`, {
    stage,
    retain,
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(env ? { env } : {}),
  });
  const api = new ApiStack(app, `PayBridge-${stage}-Api`, {
    stage,
    version,
    data,
    routes: options.routes ?? routes,
    workers: options.workers ?? workers,
    scheduledWorkers: options.scheduledWorkers ?? scheduledWorkers,
    retainLogs: retain,
    ...(env ? { env } : {}),
  });
  api.addStackDependency(data);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, data, api };
}
