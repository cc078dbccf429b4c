import { createSecretKey } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { ChatError } from '../domain/errors.ts';
import { isValidId } from '../domain/ids.ts';

export type Caller = { userId: string; roles: string[] };

/**
 * Access tokens (protocol section 1): HS256 only — `none` and every other alg are
 * refused by pinning the algorithm list — with `aud` and `exp` required.
 */
export const createTokens = (secret: string, audience: string, { cacheSize = 10_000 } = {}) => {
  // Imported once: importing the key per request was a fifth of a REST read's cost.
  const key = createSecretKey(Buffer.from(secret));
  const unauthorized = (why: string) => new ChatError('unauthorized', why);
  /** Verified tokens until they expire: a client sends the same token on every request. */
  const verified = new Map<string, { caller: Caller; expiresAt: number }>();
  return {
    async verify(token: string | undefined): Promise<Caller> {
      if (!token) throw unauthorized('missing access token');
      const hit = verified.get(token);
      if (hit && hit.expiresAt > Date.now()) return hit.caller;
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience, requiredClaims: ['exp', 'sub'] });
        if (!isValidId(payload.sub)) throw unauthorized('token subject is not a valid user id');
        const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
        const caller = { userId: payload.sub, roles };
        if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
        verified.set(token, { caller, expiresAt: payload.exp! * 1000 });
        return caller;
      } catch (e) {
        if (e instanceof ChatError) throw e;
        throw unauthorized('invalid or expired access token');
      }
    },
    issue: (userId: string, roles: string[] = [], ttlSeconds = 3600): Promise<string> =>
      new SignJWT({ roles })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(key),
  };
};

export type Tokens = ReturnType<typeof createTokens>;

export const bearerOf = (header: string | undefined): string | undefined => {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
};
