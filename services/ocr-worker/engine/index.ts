/** The OCR engine's public surface (PaddleOCR PP-OCRv4 on ONNX Runtime). */
export { createOcrEngine } from './ocr-engine.ts';
export type { ExecutionProvider, OcrEngine, OcrEngineOptions, OcrProviderEvent, ProviderPreference } from './ocr-engine.ts';
export { ExecutionProviderUnavailableError, OcrEngineClosedError, OcrModelError, UndecodableImageError } from './errors.ts';
export type { OcrModelPaths } from './models.ts';
export { defaultModelPaths } from './models.ts';
