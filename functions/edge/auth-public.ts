import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Actor, ApiKeyScope } from '#core/actor';
import type { Credential } from '#routes';

export type { Actor };

/**
 * `#edge/authenticate` in the bundle of a public route (credential `none` or `providerSignature`):
 * package.json maps the import here under the `paybridge-public` condition, which lib/bundling.ts
 * sets from the route row, so such a bundle carries no JWT code and no identity store. It fails
 * closed: reached under a route that needs a credential (a mis-wired deployment), it serves nobody.
 */
export async function authenticate(
  credential: Credential,
  _event: APIGatewayProxyEventV2,
  _apiKeyScope?: ApiKeyScope,
): Promise<Actor> {
  if (credential === 'none' || credential === 'providerSignature') return { kind: 'anonymous' };
  throw new Error(
    `this function was bundled for a public route, but the route needs credential ${credential}`,
  );
}
