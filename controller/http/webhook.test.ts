import { describe, expect, it } from 'vitest';
import { signBody, signatureHeader, verifySignature } from './webhook.ts';

// GitHub's documented example (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation).
const GITHUB_SECRET = "It's a Secret to Everybody";
const GITHUB_PAYLOAD = Buffer.from('Hello, World!');
const GITHUB_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('verifySignature', () => {
  it("accepts GitHub's documented test vector", () => {
    expect(verifySignature(GITHUB_PAYLOAD, GITHUB_SIGNATURE, GITHUB_SECRET)).toBe('ok');
    expect(signBody(GITHUB_PAYLOAD, GITHUB_SECRET)).toBe(GITHUB_SIGNATURE);
  });

  it('accepts upper-case hex and surrounding whitespace', () => {
    expect(verifySignature(GITHUB_PAYLOAD, `  sha256=${GITHUB_SIGNATURE.slice(7).toUpperCase()} `, GITHUB_SECRET)).toBe('ok');
  });

  it('says missing for no header or an empty one', () => {
    expect(verifySignature(GITHUB_PAYLOAD, undefined, GITHUB_SECRET)).toBe('missing');
    expect(verifySignature(GITHUB_PAYLOAD, '', GITHUB_SECRET)).toBe('missing');
    expect(verifySignature(GITHUB_PAYLOAD, '   ', GITHUB_SECRET)).toBe('missing');
  });

  it.each([
    ['no scheme', GITHUB_SIGNATURE.slice(7)],
    ['the SHA-1 scheme', 'sha1=0123456789abcdef0123456789abcdef01234567'],
    ['a short digest', GITHUB_SIGNATURE.slice(0, -2)],
    ['a long digest', `${GITHUB_SIGNATURE}00`],
    ['non-hex digits', `sha256=${'z'.repeat(64)}`],
    ['two signatures joined', `${GITHUB_SIGNATURE}, ${GITHUB_SIGNATURE}`],
  ])('says malformed for %s', (_name, header) => {
    expect(verifySignature(GITHUB_PAYLOAD, header, GITHUB_SECRET)).toBe('malformed');
  });

  it('says mismatch for another body, another secret or a flipped digit', () => {
    expect(verifySignature(Buffer.from('Hello, World?'), GITHUB_SIGNATURE, GITHUB_SECRET)).toBe('mismatch');
    expect(verifySignature(GITHUB_PAYLOAD, GITHUB_SIGNATURE, 'another secret')).toBe('mismatch');
    const flipped = `${GITHUB_SIGNATURE.slice(0, -1)}${GITHUB_SIGNATURE.endsWith('7') ? '8' : '7'}`;
    expect(verifySignature(GITHUB_PAYLOAD, flipped, GITHUB_SECRET)).toBe('mismatch');
  });

  it('signs the raw bytes, not a re-serialisation', () => {
    const compact = Buffer.from('{"ref":"refs/heads/main"}');
    const spaced = Buffer.from('{ "ref": "refs/heads/main" }');
    const signature = signBody(compact, 'secret');
    expect(verifySignature(compact, signature, 'secret')).toBe('ok');
    expect(verifySignature(spaced, signature, 'secret')).toBe('mismatch');
  });

  it('refuses an empty secret, which anyone could sign with', () => {
    expect(() => verifySignature(GITHUB_PAYLOAD, GITHUB_SIGNATURE, '')).toThrow(RangeError);
    expect(() => signBody(GITHUB_PAYLOAD, '')).toThrow(RangeError);
  });
});

describe('signatureHeader', () => {
  it('prefers X-Hub-Signature-256, then X-Berth-Signature', () => {
    expect(signatureHeader({ 'x-hub-signature-256': 'a', 'x-berth-signature': 'b' })).toBe('a');
    expect(signatureHeader({ 'x-berth-signature': 'b' })).toBe('b');
    expect(signatureHeader({ 'x-hub-signature': 'sha1=…' })).toBeUndefined();
  });

  it('joins a repeated header so that it fails as malformed', () => {
    const header = signatureHeader({ 'x-berth-signature': [GITHUB_SIGNATURE, GITHUB_SIGNATURE] });
    expect(verifySignature(GITHUB_PAYLOAD, header, GITHUB_SECRET)).toBe('malformed');
  });
});
