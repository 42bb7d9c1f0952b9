/**
 * Recognises secrets written in plain text where only references belong (`environment` values,
 * log driver options). A finding never carries the secret itself, so it cannot leak into output.
 */

export type PlaintextSecretKind = 'secret-name' | 'aws-access-key' | 'private-key' | 'url-credentials' | 'api-token';

export interface PlaintextSecret {
  readonly kind: PlaintextSecretKind;
  /** Why it looks like a secret, without the value. */
  readonly reason: string;
}

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|API[_-]?KEY|PRIVATE[_-]?KEY|ACCESS[_-]?KEY|CREDENTIALS?)/i;
const AWS_ACCESS_KEY = /\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/;
const PRIVATE_KEY = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;
const API_TOKENS = [
  /\b(ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,}\b/,
  /\bgithub_pat_[A-Za-z0-9_]{40,}\b/,
  /\b(sk|rk)_live_[0-9A-Za-z]{20,}\b/,
  /\bxox[abposr]-[0-9A-Za-z-]{10,}\b/,
  /\bAIza[0-9A-Za-z_-]{35}\b/,
];

/**
 * Values that are not secrets even under a secret-sounding name: numbers and booleans
 * (`TOKEN_TTL_SECONDS=3600`), and ARNs (`JWT_SECRET_ARN=arn:aws:secretsmanager:…`, a reference).
 */
function harmless(value: string): boolean {
  const v = value.trim();
  return v === '' || /^-?\d+(\.\d+)?$/.test(v) || /^(true|false)$/i.test(v) || v.startsWith('arn:');
}

/** Why `name=value` looks like a plaintext secret, or undefined when it does not. */
export function detectPlaintextSecret(name: string, value: string): PlaintextSecret | undefined {
  if (AWS_ACCESS_KEY.test(value)) return { kind: 'aws-access-key', reason: 'the value looks like an AWS access key ID' };
  if (PRIVATE_KEY.test(value)) return { kind: 'private-key', reason: 'the value holds a PEM private key' };
  if (URL_WITH_PASSWORD.test(value.trim())) {
    return { kind: 'url-credentials', reason: 'the value is a URL with a password in it' };
  }
  if (API_TOKENS.some((re) => re.test(value))) return { kind: 'api-token', reason: 'the value looks like an API token' };
  if (SECRET_NAME.test(name) && !harmless(value)) {
    return { kind: 'secret-name', reason: `the name \`${name}\` says it is a secret and it has a literal value` };
  }
  return undefined;
}
