/**
 * The manifests path inside a source (`manifests`), and which files under it count as manifests —
 * the same rule as `readManifestFiles`: `.yaml`/`.yml` files, hidden files and directories and
 * `node_modules` skipped; a path that names a file selects that file whatever its extension.
 */

/** The path given to a source is not a relative path inside the repository. */
export class SourcePathError extends Error {
  override readonly name = 'SourcePathError';
}

const MANIFEST_FILE = /\.ya?ml$/i;

/**
 * `path` as a clean repository-relative POSIX path: `./manifests/` → `manifests`; `.` or `` → ``
 * (the repository root). Throws `SourcePathError` for an absolute path or one that leaves the
 * repository (`..`).
 */
export function normalizeSourcePath(path: string): string {
  const slashed = path.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[a-z]:\//i.test(slashed)) throw new SourcePathError(`${path}: the manifests path must be relative to the repository root`);
  const parts = slashed.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new SourcePathError(`${path}: the manifests path must stay inside the repository`);
  return parts.join('/');
}

/**
 * Whether the repository file `file` (root-relative, `/`-separated) is a manifest under `path`
 * (normalized, `` for the root).
 */
export function isManifestPath(file: string, path: string): boolean {
  if (file === path) return true;
  if (path !== '' && !file.startsWith(`${path}/`)) return false;
  const below = (path === '' ? file : file.slice(path.length + 1)).split('/');
  const name = below[below.length - 1] ?? '';
  return MANIFEST_FILE.test(name) && !below.some((part) => part.startsWith('.') || part === 'node_modules');
}
