/**
 * Who may call the API. Clients present an HS256 JWT as `Authorization: Bearer <token>`; services
 * inside the deployment present the shared `x-service-key` for `/internal/*`. Neither a token nor a
 * key is ever logged or echoed back.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { errors, jwtVerify } from 'jose';
import { ApiError } from './errors.ts';

/** The realm in `WWW-Authenticate`. */
const REALM = 'berth-api';

/** What a verified token says about its caller. */
export interface Caller {
  /** The token's `sub` claim, when it has one. */
  readonly subject: string | undefined;
}

const callers = new WeakMap<Response, Caller>();

/** The caller that `requireJwt` verified for this request, if any. */
export function callerOf(res: Response): Caller | undefined {
  return callers.get(res);
}

function unauthorized(res: Response, code: string, message: string, invalidToken: boolean): ApiError {
  // RFC 6750 §3: a request without credentials gets no error attribute, a bad token gets invalid_token.
  res.set('WWW-Authenticate', invalidToken ? `Bearer realm="${REALM}", error="invalid_token"` : `Bearer realm="${REALM}"`);
  return new ApiError(401, code, message);
}

/**
 * Requires `Authorization: Bearer <JWT>` signed with `secret` using HS256 (and only HS256: a token
 * with `alg: none` or any other algorithm is refused before its signature is looked at). `exp` and
 * `nbf` are checked when present.
 */
export function requireJwt(secret: string): RequestHandler {
  if (secret === '') throw new RangeError('the JWT secret must not be empty');
  const key = new TextEncoder().encode(secret);
  return async (req, res, next) => {
    const token = /^Bearer +([\w.~+/-]+=*) *$/i.exec(req.get('authorization') ?? '')?.[1];
    if (token === undefined) {
      const given = req.get('authorization') !== undefined;
      throw unauthorized(res, 'Unauthorized', given ? 'the Authorization header must be "Bearer <token>"' : 'an Authorization: Bearer token is required', given);
    }
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
      callers.set(res, { subject: payload.sub });
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthorized(res, 'TokenExpired', 'the bearer token has expired', true);
      if (error instanceof errors.JOSEError) throw unauthorized(res, 'InvalidToken', 'the bearer token is not valid', true);
      throw error;
    }
    next();
  };
}

/** Constant-time comparison of a presented key with the configured one (hashed first, so lengths never leak or differ). */
export function keysMatch(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Requires `x-service-key` equal to `serviceKey`. Without a configured key (undefined or empty) every
 * request is answered 503: an internal route with no key would be open to anyone who can reach it.
 */
export function requireServiceKey(serviceKey: string | undefined): RequestHandler {
  const expected = serviceKey === '' ? undefined : serviceKey;
  return (req, _res, next) => {
    if (expected === undefined) throw new ApiError(503, 'ServiceKeyNotConfigured', 'the internal API is disabled: no service key is configured (set SERVICE_KEY)');
    const given = req.get('x-service-key');
    if (given === undefined || !keysMatch(given, expected)) {
      throw new ApiError(401, 'Unauthorized', given === undefined ? 'an x-service-key header is required' : 'the service key is not valid');
    }
    next();
  };
}
