import type { ApiKeyScope, RequestMeta, Role } from '#core/actor';
import { Conflict, NotFound } from '#core/errors';
import type {
  ApiKey,
  AttemptClaim,
  AuditInput,
  EmailToken,
  IdentityStore,
  Login,
  Merchant,
  Page,
  SecurityEventKind,
  SecurityNote,
  Session,
  TokenSigner,
  User,
} from '#core/identity';
import type { HashParams } from '#core/passwords';
import { ConditionRefused, codesOf, copy, roundTrip, type TransactItem, transact } from './conditions.ts';

/**
 * Argon2id at its smallest legal cost: the rules under test are the same at
 * any cost, and a unit test should not spend OWASP's 19 MiB per hash.
 */
export const fastHashing: HashParams = { memoryKiB: 8, passes: 1, parallelism: 1 };

/** A security event as recorded (the owner's feed). */
export interface RecordedSecurityEvent {
  merchantId: string | undefined;
  kind: SecurityEventKind;
  detail: Record<string, string>;
}

/** Access tokens as claims in clear: the domain only needs a token per sign-in and its TTL. */
export class FakeTokenSigner implements TokenSigner {
  readonly accessTokenTtlSeconds = 900;

  async sign(claims: Parameters<TokenSigner['sign']>[0]): Promise<string> {
    return `at.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  }

  /** What a token this signer made says. */
  claims(token: string): Parameters<TokenSigner['sign']>[0] {
    return JSON.parse(Buffer.from(token.slice(3), 'base64url').toString('utf8')) as Parameters<
      TokenSigner['sign']
    >[0];
  }
}

/**
 * The identity port in memory, with the conditions of store/identity.ts: one
 * login per email (the login is the uniqueness guard of the account's
 * transaction), sign-in attempts counted by conditional updates before any
 * password is hashed (at most `max` per window however many arrive at once),
 * refresh secrets swapped only from the expected one on a live family, emailed
 * links spent once and only before they expire (with the change they
 * authorise, in one transaction), and a password reset that only works while
 * the login's session version is the link's.
 */
export class MemoryIdentityStore implements IdentityStore {
  private readonly logins = new Map<string, Login>();
  private readonly merchants = new Map<string, Merchant>();
  private readonly users = new Map<string, User>();
  private readonly sessions = new Map<string, Session>();
  private readonly emailTokens = new Map<string, EmailToken>();
  private readonly apiKeys = new Map<string, ApiKey>();
  private readonly keysByHash = new Map<
    string,
    Pick<ApiKey, 'id' | 'merchantId' | 'mode' | 'revokedAt' | 'scope'>
  >();
  readonly audits: AuditInput[] = [];
  readonly securityEvents: RecordedSecurityEvent[] = [];

  private audit(a: AuditInput): TransactItem {
    return { write: () => this.audits.push(a) };
  }

  private note(n: SecurityNote): TransactItem {
    return {
      write: () =>
        this.securityEvents.push({ merchantId: n.merchantId, kind: n.kind, detail: { ...n.detail } }),
    };
  }

  /** Spends an emailed link: only an unused one that has not expired at `at`. */
  private spend(token: EmailToken, at: string): TransactItem {
    return {
      condition: () => {
        const stored = this.emailTokens.get(token.hash);
        return (
          stored !== undefined &&
          stored.usedAt === null &&
          stored.expiresAt > Math.floor(Date.parse(at) / 1000)
        );
      },
      write: () => {
        (this.emailTokens.get(token.hash) as EmailToken).usedAt = at;
      },
    };
  }

  private userVerified(token: EmailToken, at: string): TransactItem {
    const k = `${token.merchantId}#${token.userId}`;
    return {
      condition: () => this.users.has(k),
      write: () => Object.assign(this.users.get(k) as User, { emailVerified: true, emailVerifiedAt: at }),
    };
  }

  async createAccount(
    merchant: Merchant,
    user: User,
    login: Login,
    session: Session,
    a: AuditInput,
    verification?: EmailToken,
  ): Promise<void> {
    await roundTrip();
    try {
      transact([
        {
          condition: () => !this.logins.has(login.email),
          write: () => this.logins.set(login.email, copy(login)),
        },
        {
          condition: () => !this.merchants.has(merchant.id),
          write: () => this.merchants.set(merchant.id, copy(merchant)),
        },
        { write: () => this.users.set(`${merchant.id}#${user.id}`, copy(user)) },
        { write: () => this.sessions.set(session.familyId, copy(session)) },
        this.audit(a),
        ...(verification
          ? [{ write: () => this.emailTokens.set(verification.hash, copy(verification)) }]
          : []),
      ]);
    } catch (error) {
      if (codesOf(error)[0] === 'ConditionalCheckFailed') {
        throw new Conflict('email_taken', 'An account with this email already exists.', 'email');
      }
      throw error;
    }
  }

  async getLogin(email: string): Promise<Login | undefined> {
    await roundTrip();
    const found = this.logins.get(email);
    return found && copy(found);
  }

  async putEmailToken(token: EmailToken): Promise<void> {
    await roundTrip();
    transact([
      {
        condition: () => !this.emailTokens.has(token.hash),
        write: () => this.emailTokens.set(token.hash, copy(token)),
      },
    ]);
  }

  async getEmailToken(hash: string): Promise<EmailToken | undefined> {
    await roundTrip();
    const found = this.emailTokens.get(hash);
    return found && copy(found);
  }

  async verifyEmail(
    token: EmailToken,
    at: string,
    alreadyVerified: boolean,
    note: SecurityNote,
  ): Promise<'ok' | 'used' | 'gone'> {
    await roundTrip();
    const ofUser = () => this.logins.get(token.email)?.userId === token.userId;
    try {
      transact([
        this.spend(token, at),
        alreadyVerified
          ? { condition: ofUser }
          : {
              condition: ofUser,
              write: () => Object.assign(this.logins.get(token.email) as Login, { emailVerifiedAt: at }),
            },
        ...(alreadyVerified ? [] : [this.userVerified(token, at)]),
        this.note(note),
      ]);
      return 'ok';
    } catch (error) {
      const codes = codesOf(error);
      if (codes[0] === 'ConditionalCheckFailed') return 'used';
      if (codes.includes('ConditionalCheckFailed')) return 'gone';
      throw error;
    }
  }

  async resetPassword(
    token: EmailToken,
    next: string,
    at: string,
    verifyAt: string | undefined,
    a: AuditInput,
    note: SecurityNote,
  ): Promise<'ok' | 'used' | 'stale'> {
    await roundTrip();
    try {
      transact([
        this.spend(token, at),
        {
          condition: () => {
            const login = this.logins.get(token.email);
            return (
              login !== undefined &&
              login.userId === token.userId &&
              (login.sessionVersion ?? 0) === token.sessionVersion
            );
          },
          write: () => {
            const login = this.logins.get(token.email) as Login;
            Object.assign(login, {
              passwordHash: next,
              failCount: 0,
              failWindowStart: null,
              lockedUntil: null,
              sessionVersion: (login.sessionVersion ?? 0) + 1,
              ...(verifyAt ? { emailVerifiedAt: verifyAt } : {}),
            });
          },
        },
        ...(verifyAt ? [this.userVerified(token, verifyAt)] : []),
        this.audit(a),
        this.note(note),
      ]);
      return 'ok';
    } catch (error) {
      const codes = codesOf(error);
      if (codes[0] === 'ConditionalCheckFailed') return 'used';
      if (codes.includes('ConditionalCheckFailed')) return 'stale';
      throw error;
    }
  }

  async claimLoginAttempt(email: string, now: number, windowMs: number, max: number): Promise<AttemptClaim> {
    // The two conditional updates of the DynamoDB store, each one request: one counts the attempt in the
    // current window, the other starts a new window once the last one ended. Never a read-then-write.
    const notLocked = (l: Login) => l.lockedUntil === null || l.lockedUntil <= now;
    const floor = now - windowMs;
    for (let tries = 0; tries < 3; tries++) {
      await roundTrip();
      const counted = this.logins.get(email);
      if (
        counted &&
        notLocked(counted) &&
        typeof counted.failWindowStart === 'number' &&
        counted.failWindowStart > floor &&
        typeof counted.failCount === 'number' &&
        counted.failCount < max
      ) {
        counted.failCount += 1;
        return { kind: 'claimed', login: copy(counted), attempt: counted.failCount };
      }
      await roundTrip(); // refused: read why
      const old = this.logins.get(email);
      if (!old) return { kind: 'unknown' };
      if (old.lockedUntil && old.lockedUntil > now)
        return { kind: 'refused', retryAfterMs: old.lockedUntil - now };
      const windowStart = typeof old.failWindowStart === 'number' ? old.failWindowStart : null;
      if (windowStart !== null && windowStart > floor) {
        return { kind: 'refused', retryAfterMs: windowStart + windowMs - now };
      }
      await roundTrip(); // start a new window, unless another request did first
      const fresh = this.logins.get(email);
      if (
        fresh &&
        notLocked(fresh) &&
        (typeof fresh.failWindowStart !== 'number' || fresh.failWindowStart <= floor)
      ) {
        Object.assign(fresh, { failCount: 1, failWindowStart: now });
        return { kind: 'claimed', login: copy(fresh), attempt: 1 };
      }
    }
    return { kind: 'refused', retryAfterMs: 1000 };
  }

  async lockLogin(email: string, until: number): Promise<void> {
    await roundTrip();
    transact([
      {
        condition: () => this.logins.has(email),
        write: () =>
          Object.assign(this.logins.get(email) as Login, {
            lockedUntil: until,
            failCount: 0,
            failWindowStart: null,
          }),
      },
    ]);
  }

  async clearLoginFailures(email: string): Promise<void> {
    await roundTrip();
    transact([
      {
        condition: () => this.logins.has(email),
        write: () =>
          Object.assign(this.logins.get(email) as Login, {
            failCount: 0,
            failWindowStart: null,
            lockedUntil: null,
          }),
      },
    ]);
  }

  async replacePasswordHash(email: string, expected: string, next: string): Promise<void> {
    await roundTrip();
    const login = this.logins.get(email);
    if (login?.passwordHash === expected) login.passwordHash = next; // else: changed meanwhile, keep the newer
  }

  async createSession(session: Session, a: AuditInput): Promise<void> {
    await roundTrip();
    transact([{ write: () => this.sessions.set(session.familyId, copy(session)) }, this.audit(a)]);
  }

  async getSession(familyId: string): Promise<Session | undefined> {
    await roundTrip();
    const found = this.sessions.get(familyId);
    return found && copy(found);
  }

  async rotateSession(
    familyId: string,
    expectedHash: string,
    next: { hash: string; expiresAt: number; absoluteExpiresAt: number; rotatedAt: number },
  ): Promise<boolean> {
    await roundTrip();
    const session = this.sessions.get(familyId);
    if (!session || session.currentHash !== expectedHash || session.revokedAt !== null) return false;
    Object.assign(session, {
      currentHash: next.hash,
      expiresAt: next.expiresAt,
      absoluteExpiresAt: next.absoluteExpiresAt,
      rotatedAt: next.rotatedAt,
    });
    return true;
  }

  async revokeSession(familyId: string, at: string, a?: AuditInput): Promise<void> {
    await roundTrip();
    try {
      transact([
        {
          condition: () => this.sessions.get(familyId)?.revokedAt === null,
          write: () => Object.assign(this.sessions.get(familyId) as Session, { revokedAt: at }),
        },
        ...(a ? [this.audit(a)] : []),
      ]);
    } catch (error) {
      if (codesOf(error)[0] !== 'ConditionalCheckFailed') throw error; // already revoked (or gone)
    }
  }

  async changePassword(
    email: string,
    expected: string,
    next: string,
    a: AuditInput,
    note: SecurityNote,
  ): Promise<void> {
    await roundTrip();
    try {
      transact([
        {
          condition: () => this.logins.get(email)?.passwordHash === expected,
          write: () => {
            const login = this.logins.get(email) as Login;
            Object.assign(login, { passwordHash: next, sessionVersion: (login.sessionVersion ?? 0) + 1 });
          },
        },
        this.audit(a),
        this.note(note),
      ]);
    } catch (error) {
      if (codesOf(error)[0] === 'ConditionalCheckFailed') {
        throw new Conflict('concurrent_update', 'The password changed meanwhile; sign in again.');
      }
      throw error;
    }
  }

  async revokeAllSessions(email: string, a: AuditInput, note: SecurityNote): Promise<void> {
    await roundTrip();
    transact([
      {
        condition: () => this.logins.has(email),
        write: () => {
          const login = this.logins.get(email) as Login;
          login.sessionVersion = (login.sessionVersion ?? 0) + 1;
        },
      },
      this.audit(a),
      this.note(note),
    ]);
  }

  async getMerchant(merchantId: string): Promise<Merchant | undefined> {
    await roundTrip();
    const found = this.merchants.get(merchantId);
    return found && copy(found);
  }

  async updateMerchant(
    merchantId: string,
    patch: Partial<Pick<Merchant, 'businessName' | 'contactEmail' | 'defaultCurrency'>>,
    at: string,
    a: AuditInput,
  ): Promise<Merchant> {
    await roundTrip();
    try {
      transact([
        {
          condition: () => this.merchants.has(merchantId),
          write: () =>
            Object.assign(this.merchants.get(merchantId) as Merchant, copy(patch), { updatedAt: at }),
        },
        this.audit(a),
      ]);
    } catch (error) {
      if (error instanceof ConditionRefused) throw new NotFound('resource_missing', 'No such merchant.');
      throw error;
    }
    return copy(this.merchants.get(merchantId) as Merchant);
  }

  async getUser(merchantId: string, userId: string): Promise<User | undefined> {
    await roundTrip();
    const found = this.users.get(`${merchantId}#${userId}`);
    return found && copy(found);
  }

  async createApiKey(key: ApiKey & { scope: ApiKeyScope }, a: AuditInput, note: SecurityNote): Promise<void> {
    await roundTrip();
    transact([
      { write: () => this.apiKeys.set(`${key.merchantId}#${key.id}`, copy(key)) },
      {
        condition: () => !this.keysByHash.has(key.hash),
        write: () =>
          this.keysByHash.set(key.hash, {
            id: key.id,
            merchantId: key.merchantId,
            mode: key.mode,
            scope: key.scope,
            revokedAt: null,
          }),
      },
      this.audit(a),
      this.note(note),
    ]);
  }

  async listApiKeys(merchantId: string, limit: number, cursor?: string): Promise<Page<ApiKey>> {
    await roundTrip();
    const all = [...this.apiKeys.values()]
      .filter((k) => k.merchantId === merchantId && (cursor === undefined || k.id < cursor))
      .sort((a, b) => b.id.localeCompare(a.id));
    const data = all.slice(0, limit).map((k) => copy(k));
    const hasMore = all.length > limit;
    return { data, hasMore, nextCursor: hasMore ? (data.at(-1)?.id ?? null) : null };
  }

  async getApiKey(merchantId: string, keyId: string): Promise<ApiKey | undefined> {
    await roundTrip();
    const found = this.apiKeys.get(`${merchantId}#${keyId}`);
    return found && copy(found);
  }

  async revokeApiKey(key: ApiKey, at: string, a: AuditInput, note: SecurityNote): Promise<void> {
    await roundTrip();
    transact([
      {
        write: () => Object.assign(this.apiKeys.get(`${key.merchantId}#${key.id}`) ?? {}, { revokedAt: at }),
      },
      { write: () => Object.assign(this.keysByHash.get(key.hash) ?? {}, { revokedAt: at }) },
      this.audit(a),
      this.note(note),
    ]);
  }

  async findApiKeyByHash(hash: string) {
    await roundTrip();
    const found = this.keysByHash.get(hash);
    return found && copy(found);
  }

  async recordSecurityEvent(
    merchantId: string | undefined,
    kind: 'login_failed' | 'account_locked' | 'refresh_token_reused',
    _meta: RequestMeta,
    detail: Record<string, string>,
  ): Promise<void> {
    await roundTrip();
    this.securityEvents.push({ merchantId, kind, detail: { ...detail } });
  }

  /** Operator commands (`npm run admin`): a role change or a suspension bumps the session version. */
  setLogin(email: string, change: { role?: Role; status?: 'active' | 'suspended' }): void {
    const login = this.logins.get(email);
    if (!login) throw new Error(`no login ${email}`);
    Object.assign(login, change, { sessionVersion: (login.sessionVersion ?? 0) + 1 });
  }

  /** Security events of one kind, in order. */
  eventsOf(kind: SecurityEventKind): RecordedSecurityEvent[] {
    return this.securityEvents.filter((e) => e.kind === kind);
  }
}
