/**
 * Where uploaded documents are kept between the API and the OCR worker. Production uses
 * S3-compatible object storage (Cloudflare R2 in the deployment notes); development, tests and a
 * single host use a local directory. Keys are content hashes, so a put is idempotent.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface DocumentStorage {
  /** Stores `data` under `key`; storing the same key again is harmless. */
  put(key: string, data: Buffer): Promise<void>;
  /** The bytes under `key`. @throws DocumentNotFoundError */
  get(key: string): Promise<Buffer>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}

export class DocumentNotFoundError extends Error {
  override readonly name = 'DocumentNotFoundError';
}

/** A key is a content hash with an extension (`<64 hex>.png`): nothing that could leave the directory. */
const KEY = /^[a-f0-9]{64}\.(png|jpg|webp|tiff)$/;

function checkKey(key: string): void {
  if (!KEY.test(key)) throw new RangeError(`invalid storage key ${JSON.stringify(key)}`);
}

/** Documents as files in one directory, two levels of fan-out by hash prefix; writes are atomic (temp file, then rename). */
export class LocalDirectoryStorage implements DocumentStorage {
  private readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  private path(key: string): string {
    checkKey(key);
    return join(this.root, key.slice(0, 2), key);
  }

  async put(key: string, data: Buffer): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, data);
    await rename(temp, path);
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new DocumentNotFoundError(`document ${key} is not in storage`);
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.path(key));
      return true;
    } catch {
      return false;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
