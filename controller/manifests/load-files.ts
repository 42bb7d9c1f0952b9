/** Reads the manifest files under a path from disk. */
import { readFile, readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { SourceFile } from './source-document.ts';

/** The path given to a command does not exist or cannot be read. */
export class ManifestPathError extends Error {
  override readonly name = 'ManifestPathError';
}

const MANIFEST_FILE = /\.ya?ml$/i;

/**
 * Every `.yaml`/`.yml` file at or below `target`, in a stable (sorted) order. Hidden directories and
 * `node_modules` are skipped. A file named directly is read whatever its extension.
 */
export async function readManifestFiles(target: string, cwd: string = process.cwd()): Promise<SourceFile[]> {
  const absolute = isAbsolute(target) ? target : join(cwd, target);
  let info;
  try {
    info = await stat(absolute);
  } catch {
    throw new ManifestPathError(`${target}: no such file or directory`);
  }
  const files = info.isDirectory()
    ? (await readdir(absolute, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile() && MANIFEST_FILE.test(e.name))
        .map((e) => join(e.parentPath, e.name))
        .filter((file) => !relative(absolute, file).split(sep).some((part) => part.startsWith('.') || part === 'node_modules'))
        .sort()
    : [absolute];
  return Promise.all(
    files.map(async (file) => ({ path: displayPath(file, cwd), text: await readFile(file, 'utf8') })),
  );
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}
