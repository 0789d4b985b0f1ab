import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import { components } from '#edge/responses';
import { packageFiles } from '#api/get-docs-asset';
import { eventTypes } from '#core/webhooks';
import {
  buildOpenApiDocument,
  errorStatuses,
  type JsonObject,
  operations,
  routeSpecs,
  securityOf,
} from '#openapi';
import type { HttpSpec } from '#edge/http';
import { type Route, routeKey, routes } from '#routes';
import { documentChecker, pointerPart } from '#test/openapi';

type Operation = JsonObject & {
  operationId: string;
  security: unknown[];
  parameters?: (JsonObject & { name?: string; in?: string; $ref?: string })[];
  requestBody?: { content: Record<string, { schema: JsonObject; example?: unknown }> };
  responses: Record<string, JsonObject>;
};

let doc: JsonObject;
let paths: Record<string, Record<string, Operation>>;
let specs: Map<string, HttpSpec<unknown, unknown, unknown>>;

beforeAll(async () => {
  doc = await buildOpenApiDocument({ version: '1.2.3' });
  paths = doc.paths as typeof paths;
  specs = await routeSpecs();
});

const operationOf = (route: Route): Operation | undefined => paths[route.path]?.[route.method.toLowerCase()];

describe('OpenAPI document and route table', () => {
  it('documents every route with its method and path', () => {
    const missing = routes.filter((route) => !operationOf(route)).map(routeKey);
    expect(missing).toEqual([]);
  });

  it('documents nothing the route table does not serve', () => {
    const documented = Object.entries(paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map(routeKey).sort());
    expect(Object.keys(operations).sort()).toEqual(routes.map(routeKey).sort());
  });

  it.each(routes.map((route) => [routeKey(route), route] as const))(
    '%s requires exactly the credential its row declares',
    (_key, route) => {
      const op = operationOf(route) as Operation;
      expect(op.security).toEqual(securityOf(route));
      expect(op['x-paybridge-credential']).toBe(route.credential);
      // The API-key scope the route needs is in the requirement (roles) and spelled out.
      const apiKeyRequirement = (op.security as Record<string, string[]>[]).find((r) => 'apiKey' in r);
      if (apiKeyRequirement) {
        const scope = route.apiKeyScope ?? 'server';
        expect(apiKeyRequirement.apiKey).toEqual(scope === 'full' ? ['full'] : []);
        expect((op as unknown as Record<string, unknown>)['x-paybridge-api-key-scope']).toBe(scope);
      }
      const schemes = Object.keys((doc.components as { securitySchemes: JsonObject }).securitySchemes);
      for (const requirement of op.security as Record<string, string[]>[]) {
        for (const scheme of Object.keys(requirement)) expect(schemes).toContain(scheme);
      }
    },
  );

  it('gives every public route no security, and every other route at least one scheme', () => {
    for (const route of routes) {
      const open = route.credential === 'none' || route.credential === 'providerSignature';
      expect((operationOf(route) as Operation).security.length === 0, routeKey(route)).toBe(open);
    }
  });

  it('has a unique operationId per operation', () => {
    const ids = routes.map((route) => (operationOf(route) as Operation).operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares every path parameter of every path template, and no other', () => {
    for (const route of routes) {
      const declared = ((operationOf(route) as Operation).parameters ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      const inTemplate = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      expect(declared, routeKey(route)).toEqual(inTemplate);
    }
  });

  it('documents a request body exactly where the handler validates one', () => {
    for (const route of routes) {
      const spec = specs.get(routeKey(route)) as HttpSpec<unknown, unknown, unknown>;
      const hasBody = (operationOf(route) as Operation).requestBody !== undefined;
      expect(hasBody, routeKey(route)).toBe(
        spec.body !== undefined || route.credential === 'providerSignature',
      );
    }
  });

  it('answers errors in the error shape, including 401 on every credentialed route', () => {
    for (const route of routes) {
      const op = operationOf(route) as Operation;
      const spec = specs.get(routeKey(route)) as HttpSpec<unknown, unknown, unknown>;
      for (const status of errorStatuses(route, spec)) {
        expect(op.responses[String(status)], `${routeKey(route)} ${status}`).toEqual({
          $ref: `#/components/responses/Error${status}`,
        });
      }
      const credentialed = route.credential !== 'none' && route.credential !== 'providerSignature';
      expect('401' in op.responses, routeKey(route)).toBe(credentialed);
      expect(
        Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)),
        routeKey(route),
      ).toBe(true);
    }
  });

  it('documents Idempotency-Key on payment creation and PayBridge-Mode where a dashboard token picks the mode', () => {
    const refs = (route: Route) => ((operationOf(route) as Operation).parameters ?? []).map((p) => p.$ref);
    for (const route of routes) {
      expect(refs(route).includes('#/components/parameters/PayBridgeMode'), routeKey(route)).toBe(
        route.credential === 'apiKeyOrDashboard',
      );
    }
    const create = routes.find((r) => routeKey(r) === 'POST /v1/payments') as Route;
    expect(refs(create)).toContain('#/components/parameters/IdempotencyKey');
  });

  it('documents every outbound event type as a webhook with the Standard Webhooks headers', () => {
    const webhooks = doc.webhooks as Record<string, { post: Operation }>;
    expect(Object.keys(webhooks).sort()).toEqual([...eventTypes].sort());
    for (const type of eventTypes) {
      expect((webhooks[type]?.post.parameters ?? []).map((p) => p.$ref)).toEqual([
        '#/components/parameters/WebhookId',
        '#/components/parameters/WebhookTimestamp',
        '#/components/parameters/WebhookSignature',
      ]);
    }
  });
});

describe('OpenAPI document structure', () => {
  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('resolves every $ref', () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) {
      const pointer = (JSON.parse(`{${ref}}`) as { $ref: string }).$ref;
      expect(pointer.startsWith('#/'), pointer).toBe(true);
      let node: unknown = doc;
      for (const part of pointer.slice(2).split('/')) {
        node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      }
      expect(node, pointer).toBeDefined();
    }
  });

  it('has request examples that the routes themselves accept', () => {
    let checked = 0;
    for (const route of routes) {
      const spec = specs.get(routeKey(route)) as HttpSpec<unknown, unknown, unknown>;
      const example = (operationOf(route) as Operation).requestBody?.content['application/json']?.example;
      if (example === undefined || !spec.body) continue;
      const result = (spec.body as z.ZodMiniType).safeParse(example);
      expect(result.success, `${routeKey(route)}: ${JSON.stringify(result.error?.issues)}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('has response and webhook examples that match their own schemas', () => {
    const check = documentChecker(doc);
    const schemas = (doc.components as { schemas: Record<string, { examples?: unknown[] }> }).schemas;
    let checked = 0;
    for (const [name, schema] of Object.entries(schemas)) {
      for (const example of schema.examples ?? []) {
        expect(check.errors(`/components/schemas/${name}`, example), name).toEqual([]);
        checked++;
      }
    }
    for (const [type, hook] of Object.entries(doc.webhooks as Record<string, { post: Operation }>)) {
      const media = hook.post.requestBody?.content['application/json'];
      if (media?.example === undefined) continue;
      const pointer = `/webhooks/${pointerPart(type)}/post/requestBody/content/application~1json/schema`;
      expect(check.errors(pointer, media.example), type).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('names every response schema once, in components', () => {
    const names = Object.keys((doc.components as { schemas: JsonObject }).schemas);
    for (const schema of Object.values(operations).flatMap((op) => Object.values(op.responses))) {
      if (!schema.schema || !components.has(schema.schema)) continue;
      expect(names).toContain(components.get(schema.schema)?.id);
    }
  });
});

describe('docs assets', () => {
  it('bundles exactly the node_modules files the asset handler reads', () => {
    const row = routes.find((r) => r.handler === 'api/get-docs-asset.ts') as Route;
    expect(row.assets).toEqual([...packageFiles]);
  });
});
