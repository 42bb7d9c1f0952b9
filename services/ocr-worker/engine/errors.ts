/**
 * The OCR engine's errors, one class per meaning, each with `name` set so that both `instanceof`
 * and `err.name` work (also after a BullMQ job result has been serialized).
 */

/**
 * The bytes are not an image the engine reads (not PNG, JPEG, WebP or TIFF, or corrupt). Retrying
 * cannot help: the worker fails the job at once.
 */
export class UndecodableImageError extends Error {
  override readonly name = 'UndecodableImageError';
}

/** The execution provider that was asked for cannot run here (e.g. `cuda` without the CUDA libraries). */
export class ExecutionProviderUnavailableError extends Error {
  override readonly name = 'ExecutionProviderUnavailableError';
  readonly provider: 'cuda' | 'cpu';

  constructor(provider: 'cuda' | 'cpu', message: string, options?: ErrorOptions) {
    super(message, options);
    this.provider = provider;
  }
}

/** The models do not fit together or with the dictionary (e.g. the recognizer's classes ≠ dictionary + 2). */
export class OcrModelError extends Error {
  override readonly name = 'OcrModelError';
}

/** `recognize` was called after `close()`. */
export class OcrEngineClosedError extends Error {
  override readonly name = 'OcrEngineClosedError';
}
