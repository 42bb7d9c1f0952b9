/** The API's configuration, read once from the environment and checked before anything starts. */
import { DEFAULT_MAX_UPLOAD_BYTES } from './app.ts';

export interface ApiConfig {
  /** `PORT`; 0 picks a free port. @defaultValue 8080 */
  readonly port: number;
  /** `REDIS_URL`. @defaultValue redis://127.0.0.1:6379 */
  readonly redisUrl: string;
  /** `JWT_SECRET`: the HS256 secret client tokens are signed with. Required. */
  readonly jwtSecret: string;
  /** `SERVICE_KEY`: the key `/internal/*` requires; unset disables those routes. */
  readonly serviceKey: string | undefined;
  /** `STORAGE_DIR`: where uploaded documents are kept. @defaultValue ./.data/documents */
  readonly storageDir: string;
  /** `MAX_UPLOAD_BYTES`. @defaultValue 10485760 (10 MiB) */
  readonly maxUploadBytes: number;
}

/** The environment does not make a usable configuration; the message says which variable and why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Below this many bytes an HS256 secret is weaker than the hash (RFC 7518 §3.2 asks for at least 256 bits). */
export const MIN_JWT_SECRET_BYTES = 32;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Reads and checks the configuration. @throws ConfigError */
export function readApiConfig(env: NodeJS.ProcessEnv): ApiConfig {
  const jwtSecret = env['JWT_SECRET'] ?? '';
  if (jwtSecret === '') {
    throw new ConfigError('JWT_SECRET is not set: it is the HS256 secret client tokens are signed with, and the API will not start without it (generate one with: openssl rand -base64 48)');
  }
  const redisUrl = env['REDIS_URL'] || 'redis://127.0.0.1:6379';
  let protocol: string;
  try {
    protocol = new URL(redisUrl).protocol;
  } catch {
    // Never echo the URL: it may carry a password.
    throw new ConfigError('REDIS_URL is not a URL (expected redis://[user:password@]host:port[/db])');
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw new ConfigError(`REDIS_URL must start with redis:// or rediss://, not ${protocol}//`);
  const serviceKey = env['SERVICE_KEY'];
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    redisUrl,
    jwtSecret,
    serviceKey: serviceKey === undefined || serviceKey === '' ? undefined : serviceKey,
    storageDir: env['STORAGE_DIR'] || './.data/documents',
    maxUploadBytes: integer(env, 'MAX_UPLOAD_BYTES', DEFAULT_MAX_UPLOAD_BYTES, 1, Number.MAX_SAFE_INTEGER),
  };
}
