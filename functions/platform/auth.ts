import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Unauthenticated } from '#core/errors';
import type { Credential } from '../routes.ts';

/** Who is calling. Every repository call on merchant data takes `merchantId` and `mode` from here. */
export type Actor = { readonly kind: 'anonymous' };

/**
 * Checks the credential a route declares in the route table. Routes that take
 * merchant credentials arrive with the identity work; until then only public
 * routes exist and anything else is refused rather than served unauthenticated.
 */
export async function authenticate(credential: Credential, _event: APIGatewayProxyEventV2): Promise<Actor> {
  if (credential === 'none' || credential === 'providerSignature') return { kind: 'anonymous' };
  throw new Unauthenticated('credentials_unsupported', 'This route does not accept credentials yet.');
}
