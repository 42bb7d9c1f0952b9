/**
 * Keeps credentials written into a repository URL (`https://user:token@host/…`) out of logs, status
 * and error messages.
 */

/** `scheme://userinfo@` — the userinfo of any URL with a scheme. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi;

/** Secrets shorter than this are not searched for on their own: replacing `git` everywhere would mangle messages. */
const MIN_SECRET_LENGTH = 6;

/**
 * The URL without its userinfo: `https://user:token@host/repo.git` → `https://host/repo.git`.
 * An scp-like address (`git@host:org/repo`) is kept as it is: its user is a login name, never a
 * password. Anything that is not a URL is returned unchanged.
 */
export function redactUrl(url: string): string {
  return url.replace(URL_USERINFO, '$1');
}

/**
 * A function that removes the credentials of `url` from any text (git's stderr, an error message):
 * the userinfo of every URL in it, and the user and password of `url` wherever they appear alone
 * (encoded or decoded).
 */
export function credentialRedactor(url: string): (text: string) => string {
  const secrets = secretsOf(url);
  return (text) => {
    let out = text.replace(URL_USERINFO, '$1');
    for (const secret of secrets) out = out.split(secret).join('***');
    return out;
  };
}

function secretsOf(url: string): string[] {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^\s/@]*)@/i.exec(url);
  const userinfo = match?.[1];
  if (!userinfo) return [];
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const password = colon < 0 ? '' : userinfo.slice(colon + 1);
  // A user without a password is usually a token (`https://ghp_…@github.com/…`).
  const raw = password ? [userinfo, password] : [user];
  const all = raw.flatMap((s) => [s, safeDecode(s)]);
  return [...new Set(all)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
