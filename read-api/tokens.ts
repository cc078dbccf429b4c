import { SignJWT, jwtVerify } from 'jose';
import { ChatError } from '../domain/errors.ts';
import { isValidId } from '../domain/ids.ts';

export type Caller = { userId: string; roles: string[] };

/**
 * Access tokens (protocol section 1): HS256 only — `none` and every other alg are
 * refused by pinning the algorithm list — with `aud` and `exp` required.
 */
export const createTokens = (secret: string, audience: string) => {
  const key = new TextEncoder().encode(secret);
  const unauthorized = (why: string) => new ChatError('unauthorized', why);
  return {
    async verify(token: string | undefined): Promise<Caller> {
      if (!token) throw unauthorized('missing access token');
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience, requiredClaims: ['exp', 'sub'] });
        if (!isValidId(payload.sub)) throw unauthorized('token subject is not a valid user id');
        const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
        return { userId: payload.sub, roles };
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
