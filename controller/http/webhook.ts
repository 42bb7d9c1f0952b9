/**
 * Webhook signature verification, GitHub's scheme: `sha256=<hex>` where hex is the HMAC-SHA256 of
 * the raw request body keyed with a shared secret
 * (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries). GitHub sends
 * it as `X-Hub-Signature-256`; other senders (a CI job, `curl`) may use `X-Berth-Signature` with the
 * same scheme. GitHub's older SHA-1 `X-Hub-Signature` is not accepted. Pure functions, no I/O.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers a signature is read from, in order of preference (lower case, as Node gives them). */
export const SIGNATURE_HEADERS = ['x-hub-signature-256', 'x-berth-signature'] as const;

/**
 * - `ok`: the signature matches the body and the secret.
 * - `missing`: no signature header.
 * - `malformed`: not `sha256=` followed by 64 hex digits.
 * - `mismatch`: well formed, but not this body signed with this secret.
 */
export type SignatureVerdict = 'ok' | 'missing' | 'malformed' | 'mismatch';

const SIGNATURE_PATTERN = /^sha256=([0-9a-f]{64})$/i;

/** The `sha256=<hex>` signature of `rawBody` with `secret`: what a sender puts in the header. */
export function signBody(rawBody: Buffer | string, secret: string): string {
  requireSecret(secret);
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/**
 * Checks `header` (the value of `X-Hub-Signature-256` or `X-Berth-Signature`) against the HMAC of
 * `rawBody`, comparing the digests in constant time. Throws on an empty secret: anyone can compute
 * an HMAC with an empty key, so it must never verify anything.
 */
export function verifySignature(rawBody: Buffer, header: string | undefined, secret: string): SignatureVerdict {
  requireSecret(secret);
  if (header === undefined || header.trim() === '') return 'missing';
  const match = SIGNATURE_PATTERN.exec(header.trim());
  const hex = match?.[1];
  if (hex === undefined) return 'malformed';
  const given = Buffer.from(hex, 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  // Both are 32 bytes (the pattern fixes the length), as timingSafeEqual requires.
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'mismatch';
}

/** The signature header a request carries: the first of `SIGNATURE_HEADERS` present, undefined when none is. */
export function signatureHeader(headers: Readonly<Record<string, string | readonly string[] | undefined>>): string | undefined {
  for (const name of SIGNATURE_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') return value;
    // A repeated header is ambiguous: joined (as Node joins it), it fails as malformed rather than one being picked.
    if (value !== undefined) return value.join(', ');
  }
  return undefined;
}

function requireSecret(secret: string): void {
  if (secret.length === 0) throw new RangeError('a webhook secret must not be empty');
}
