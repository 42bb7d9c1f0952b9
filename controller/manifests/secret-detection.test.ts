import { describe, expect, it } from 'vitest';
import { detectPlaintextSecret } from './secret-detection.ts';

describe('detectPlaintextSecret', () => {
  it.each([
    ['JWT_SECRET', 'hunter2hunter2', 'secret-name'],
    ['DB_PASSWORD', 'p@ss', 'secret-name'],
    ['GITHUB_TOKEN', 'abc', 'secret-name'],
    ['STRIPE_API_KEY', 'x', 'secret-name'],
    ['apiKey', 'x', 'secret-name'],
    ['SIGNING_PRIVATE_KEY', 'x', 'secret-name'],
    ['ANYTHING', 'AKIAIOSFODNN7EXAMPLE', 'aws-access-key'],
    ['CERT', '-----BEGIN RSA PRIVATE KEY-----\nMIIE...', 'private-key'],
    ['DATABASE_URL', 'postgres://app:s3cret@db.internal:5432/app', 'url-credentials'],
    ['REDIS_URL', 'redis://:s3cret@redis:6379', 'url-credentials'],
    ['NOTES', 'token ghp_0123456789abcdefghijklmnopqrstuvwxyz', 'api-token'],
  ])('%s=%j is a plaintext secret (%s)', (name, value, kind) => {
    expect(detectPlaintextSecret(name, value)?.kind).toBe(kind);
  });

  it.each([
    ['NODE_ENV', 'production'],
    ['TOKEN_TTL_SECONDS', '3600'],
    ['REQUIRE_API_KEY', 'true'],
    ['JWT_SECRET_ARN', 'arn:aws:secretsmanager:ap-southeast-2:070017891928:secret:filot/jwt'],
    ['PASSWORD', ''],
    ['REDIS_URL', 'redis://redis.internal:6379'],
    ['PUBLIC_URL', 'https://user@example.com/path'],
  ])('%s=%j is not', (name, value) => {
    expect(detectPlaintextSecret(name, value)).toBeUndefined();
  });

  it('never puts the value in its reason', () => {
    const found = detectPlaintextSecret('JWT_SECRET', 'very-secret-value');
    expect(found?.reason).not.toContain('very-secret-value');
  });
});
