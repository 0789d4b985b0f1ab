/** Test and live data never mix: every merchant object lives in one mode. */
export type Mode = 'test' | 'live';

export type Role = 'owner' | 'admin';

/**
 * What an API key may do. `server` (the default for new keys): payments, and
 * reading what the merchant configured. `full`: also provider credentials and
 * webhook endpoints, i.e. where money settles and where events go. A key is
 * `full` only when asked for at creation (keys made before scopes existed are
 * `full`: see SECURITY.md).
 */
export type ApiKeyScope = 'server' | 'full';
export const apiKeyScopes: readonly ApiKeyScope[] = ['server', 'full'];

/**
 * Who is calling, established by edge/auth.ts from the credential the route
 * declares. Every repository call on merchant data takes `merchantId` (and
 * `mode` for mode-scoped objects) from here, never from the request body.
 */
export type Actor =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'apiKey';
      readonly merchantId: string;
      readonly mode: Mode;
      readonly keyId: string;
      readonly scope: ApiKeyScope;
    }
  | {
      readonly kind: 'user';
      readonly merchantId: string;
      readonly userId: string;
      readonly email: string;
      readonly role: Role;
      /** The refresh-token family this access token was minted from. */
      readonly sessionId: string;
      /** Dashboard users pick a mode per request (`PayBridge-Mode` header); test by default. */
      readonly mode: Mode;
    };

export type MerchantActor = Exclude<Actor, { kind: 'anonymous' }>;

/** How an actor is named in the audit log. */
export function actorRef(actor: Actor): { type: string; id: string } {
  switch (actor.kind) {
    case 'apiKey':
      return { type: 'api_key', id: actor.keyId };
    case 'user':
      return { type: 'user', id: actor.userId };
    case 'anonymous':
      return { type: 'anonymous', id: '' };
  }
}

/** Request facts the audit log and security events record. */
export interface RequestMeta {
  readonly ip: string;
  readonly userAgent: string;
  readonly requestId: string;
}
