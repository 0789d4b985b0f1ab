/**
 * `sam local invoke` against the synthesized template: the template's functions by
 * friendly name, and the `--env-vars` file for the local stack or a deployed one.
 * Pure functions over the template; the commands are local/sam-env.ts and
 * local/sam-invoke.ts.
 *
 * SAM sets only the variables a function declares in the template (it ignores the
 * rest of an `--env-vars` entry), so each entry here has exactly the template's keys,
 * with concrete values for the chosen stack in place of CloudFormation references.
 */
import { allNeeds, type EnvironmentValues, functionEnvironment } from '#infra/function-environment';
import { constructId } from '#routes';
import { allFunctions } from './functions.ts';

/** The parts of a CloudFormation template we read. */
export interface Template {
  readonly Resources: Record<
    string,
    {
      readonly Type: string;
      readonly Properties?: {
        readonly Environment?: { readonly Variables?: Record<string, unknown> };
        readonly Layers?: unknown;
      };
      readonly Metadata?: Record<string, unknown>;
    }
  >;
}

export interface TemplateFunction {
  readonly logicalId: string;
  /** The route table's name for it (`create-payment`); undefined for a function the table does not make. */
  readonly name: string | undefined;
  readonly variables: Readonly<Record<string, unknown>>;
}

/** Logical id → variables, the format `sam local invoke --env-vars` reads. */
export type SamEnvFile = Record<string, Record<string, string>>;

/** Every Lambda function of the template, named by the route-table row or worker it was made from. */
export function templateFunctions(template: Template): TemplateFunction[] {
  const byConstruct = new Map([...allFunctions()].map(([name, handler]) => [constructId(handler), name]));
  return (
    Object.entries(template.Resources)
      // Ours carry PAYBRIDGE_STAGE; CDK's own helpers (the dashboard's bucket deployment) are not invocable samples.
      .filter(
        ([, resource]) =>
          resource.Type === 'AWS::Lambda::Function' &&
          resource.Properties?.Environment?.Variables?.PAYBRIDGE_STAGE !== undefined,
      )
      .map(([logicalId, resource]) => {
        // `PayBridge-dev-Api/CreatePayment/Function/Resource`: the second part is the construct id;
        // without path metadata (`cdk synth --no-path-metadata`), the logical id `CreatePaymentFunction1A2B3C4D`.
        const path = resource.Metadata?.['aws:cdk:path'];
        const id =
          typeof path === 'string' ? path.split('/')[1] : /^(.+)Function[0-9A-F]{8}$/.exec(logicalId)?.[1];
        return {
          logicalId,
          name: id === undefined ? undefined : byConstruct.get(id),
          variables: resource.Properties?.Environment?.Variables ?? {},
        };
      })
  );
}

export class UnknownFunction extends Error {
  override readonly name = 'UnknownFunction';
  readonly requested: string;
  readonly known: readonly string[];

  constructor(requested: string, known: readonly string[]) {
    super(`unknown function ${requested}; functions: ${known.join(', ')}`);
    this.requested = requested;
    this.known = known;
  }
}

/** `create-payment` (or the logical id itself) → the template's logical id. */
export function logicalIdOf(template: Template, name: string): string {
  const functions = templateFunctions(template);
  const hit = functions.find((fn) => fn.name === name || fn.logicalId === name);
  if (!hit) {
    throw new UnknownFunction(
      name,
      functions.flatMap((fn) => (fn.name ? [fn.name] : [])),
    );
  }
  return hit.logicalId;
}

/** `http://127.0.0.1:8000` → `http://host.docker.internal:8000`: what a container reaches. */
export function rewriteHost(url: string, host: string): string {
  if (url === '') return url;
  const parsed = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) return url;
  parsed.hostname = host;
  // URL adds a trailing slash to a bare origin; the SDK endpoints are kept as they were written.
  return url.endsWith('/') ? parsed.href : parsed.href.replace(/\/$/, '');
}

/** The local stack's values with every endpoint and queue URL pointed at `host`. */
export function containerValues(values: EnvironmentValues, host: string): EnvironmentValues {
  return {
    ...values,
    dynamoEndpoint: rewriteHost(values.dynamoEndpoint, host),
    sqsEndpoint: rewriteHost(values.sqsEndpoint, host),
    providerEventsQueueUrl: rewriteHost(values.providerEventsQueueUrl, host),
    deliveriesQueueUrl: rewriteHost(values.deliveriesQueueUrl, host),
    deliveriesDlqUrl: rewriteHost(values.deliveriesDlqUrl, host),
  };
}

export class UnresolvedVariable extends Error {
  override readonly name = 'UnresolvedVariable';
}

/**
 * One entry per function, with exactly the template's variables: `valueOf` gives a
 * variable's value for the chosen stack; a literal the template sets (`POWERTOOLS_LOG_LEVEL`,
 * the extension's settings) is kept as it is.
 */
function samEnv(
  template: Template,
  valueOf: (name: string, templateValue: unknown) => string | undefined,
): SamEnvFile {
  const out: SamEnvFile = {};
  for (const fn of templateFunctions(template)) {
    const entry: Record<string, string> = {};
    for (const [name, templateValue] of Object.entries(fn.variables)) {
      const value =
        valueOf(name, templateValue) ?? (typeof templateValue === 'string' ? templateValue : undefined);
      if (value === undefined) {
        throw new UnresolvedVariable(
          `${fn.logicalId}: no value for ${name} (${JSON.stringify(templateValue)}) on this stack`,
        );
      }
      entry[name] = value;
    }
    out[fn.logicalId] = entry;
  }
  return out;
}

/** The env file for the local stack, reached from containers at `host`. */
export function localSamEnv(template: Template, values: EnvironmentValues, host: string): SamEnvFile {
  const local = functionEnvironment(allNeeds, containerValues(values, host));
  return samEnv(template, (name) => local[name]);
}

/** The part of `aws cloudformation describe-stacks` we read. */
export interface DescribeStacksAnswer {
  readonly Stacks?: readonly {
    readonly StackName?: string;
    readonly Outputs?: readonly { OutputKey?: string; OutputValue?: string; ExportName?: string }[];
  }[];
}

/** Export name → value, from describe-stacks answers of the stacks the template imports from. */
export function exportsOf(...answers: DescribeStacksAnswer[]): Map<string, string> {
  const exports = new Map<string, string>();
  for (const answer of answers) {
    for (const stack of answer.Stacks ?? []) {
      for (const output of stack.Outputs ?? []) {
        if (output.ExportName && output.OutputValue !== undefined) {
          exports.set(output.ExportName, output.OutputValue);
        }
      }
    }
  }
  return exports;
}

const importName = (value: unknown): string | undefined =>
  value && typeof value === 'object' && 'Fn::ImportValue' in value
    ? (value['Fn::ImportValue'] as string)
    : undefined;

/** The stacks whose exports the template's function variables import (`PayBridge-dev-Data`). */
export function importedStacks(template: Template): string[] {
  const stacks = new Set<string>();
  for (const fn of templateFunctions(template)) {
    for (const value of Object.values(fn.variables)) {
      const name = importName(value);
      // CDK names its exports `<stack>:<output>`.
      if (typeof name === 'string' && name.includes(':')) stacks.add(name.split(':')[0] as string);
    }
  }
  return [...stacks];
}

/**
 * The env file for a deployed stack: every `Fn::ImportValue` becomes the value its
 * exporting stack's output holds; any other reference is refused with its name, since
 * SAM would pass it as an empty string.
 */
export function deployedSamEnv(template: Template, exports: ReadonlyMap<string, string>): SamEnvFile {
  return samEnv(template, (name, templateValue) => {
    if (typeof templateValue === 'string') return templateValue;
    const imported = importName(templateValue);
    if (typeof imported === 'string') {
      const value = exports.get(imported);
      if (value === undefined) throw new UnresolvedVariable(`${name}: the export ${imported} was not found`);
      return value;
    }
    return undefined;
  });
}

/**
 * The template for the local stack: the same functions and variables without their
 * layers. The only layer is the Parameters and Secrets extension, which SAM would
 * download with the user's AWS credentials (GetLayerVersion); locally `JWT_KEYS` is set,
 * so the extension is never asked. Kept beside the original, where the asset paths resolve.
 */
export function withoutLayers(template: Template): Template {
  const resources = Object.fromEntries(
    Object.entries(template.Resources).map(([id, resource]) => {
      if (resource.Type !== 'AWS::Lambda::Function' || !resource.Properties?.Layers) return [id, resource];
      const { Layers: _layers, ...properties } = resource.Properties;
      return [id, { ...resource, Properties: properties }];
    }),
  );
  return { ...template, Resources: resources };
}
