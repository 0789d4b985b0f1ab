import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { JsonObject } from '#openapi';

const base = 'https://paybridge.invalid/openapi.json';

/** `/v1/payments/{id}` → `~1v1~1payments~1{id}` (JSON Pointer, RFC 6901). */
export const pointerPart = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Checks values against the OpenAPI document's own schemas with a JSON Schema
 * 2020-12 validator: what a test sees on the wire must be what the document says.
 */
export function documentChecker(document: JsonObject) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, base);
  const errors = (pointer: string, value: unknown): string[] => {
    const validate = ajv.getSchema(`${base}#${pointer}`);
    if (!validate) return [`no schema at ${pointer}`];
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );
  };
  /** Where the schema of an answer is: the operation's own response, or the shared one it refers to. */
  const responsePointer = (method: string, path: string, status: number): string | undefined => {
    const paths = document.paths as Record<
      string,
      Record<string, { responses?: Record<string, JsonObject> }>
    >;
    const response = paths[path]?.[method.toLowerCase()]?.responses?.[String(status)];
    if (!response) return undefined;
    const at =
      typeof response.$ref === 'string'
        ? response.$ref.slice(1)
        : `/paths/${pointerPart(path)}/${method.toLowerCase()}/responses/${status}`;
    return `${at}/content/application~1json/schema`;
  };
  return {
    errors,
    /** Problems with an answer, or `["undocumented status …"]`. */
    response(method: string, path: string, status: number, body: unknown): string[] {
      const pointer = responsePointer(method, path, status);
      if (!pointer) return [`undocumented status ${status} for ${method} ${path}`];
      return errors(pointer, body);
    },
  };
}
