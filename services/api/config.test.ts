import { describe, expect, it } from 'vitest';
import { ConfigError, readApiConfig } from './config.ts';

describe('readApiConfig', () => {
  it('needs only JWT_SECRET and defaults the rest', () => {
    expect(readApiConfig({ JWT_SECRET: 's' })).toEqual({
      port: 8080,
      redisUrl: 'redis://127.0.0.1:6379',
      jwtSecret: 's',
      serviceKey: undefined,
      storageDir: './.data/documents',
      maxUploadBytes: 10 * 1024 * 1024,
    });
  });

  it('reads every variable', () => {
    const config = readApiConfig({ JWT_SECRET: 's', PORT: '0', REDIS_URL: 'rediss://u:p@redis:6380/2', SERVICE_KEY: 'k', STORAGE_DIR: '/data', MAX_UPLOAD_BYTES: '1024' });
    expect(config).toMatchObject({ port: 0, redisUrl: 'rediss://u:p@redis:6380/2', serviceKey: 'k', storageDir: '/data', maxUploadBytes: 1024 });
  });

  it('refuses to start without JWT_SECRET, saying what it is', () => {
    expect(() => readApiConfig({})).toThrow(ConfigError);
    expect(() => readApiConfig({ JWT_SECRET: '' })).toThrow(/JWT_SECRET is not set/);
  });

  it('refuses bad numbers and URLs without echoing a password', () => {
    expect(() => readApiConfig({ JWT_SECRET: 's', PORT: '80a' })).toThrow(/PORT must be a whole number/);
    expect(() => readApiConfig({ JWT_SECRET: 's', PORT: '70000' })).toThrow(ConfigError);
    expect(() => readApiConfig({ JWT_SECRET: 's', MAX_UPLOAD_BYTES: '0' })).toThrow(/MAX_UPLOAD_BYTES/);
    expect(() => readApiConfig({ JWT_SECRET: 's', REDIS_URL: 'http://user:hunter2@redis' })).toThrow(/redis:\/\//);
    try {
      readApiConfig({ JWT_SECRET: 's', REDIS_URL: 'not a url hunter2' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
