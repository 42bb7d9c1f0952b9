/**
 * The contract between the document API and the OCR worker: the queue, the job's data and result,
 * and how a BullMQ job state reads to API clients.
 */

/** The BullMQ queue of OCR jobs (the QueueScaler `ocr-gpu` scales its workers). */
export const OCR_QUEUE = 'ocr-gpu';

/** Image types the API accepts (by magic bytes) and the storage key extension of each. */
export type ImageType = 'png' | 'jpg' | 'webp' | 'tiff';

/** What a job carries: where the document is. The job id is the document id (its sha256). */
export interface OcrJobData {
  readonly documentId: string;
  readonly storageKey: string;
  readonly imageType: ImageType;
  readonly bytes: number;
  readonly uploadedAt: string;
}

/** A recognized line: its text, the recognizer's confidence (0–1) and its box (four corners, pixels, clockwise from top left). */
export interface OcrLine {
  readonly text: string;
  readonly confidence: number;
  readonly box: readonly (readonly [number, number])[];
}

/** What a finished job returns (BullMQ's returnvalue). */
export interface OcrJobResult {
  /** The lines in reading order, joined with newlines. */
  readonly text: string;
  readonly lines: readonly OcrLine[];
  /** The execution provider that ran the models. */
  readonly provider: 'cuda' | 'cpu';
  readonly durationMs: number;
}

export type DocumentStatus = 'queued' | 'processing' | 'done' | 'failed';

/** A BullMQ job state as a document status. */
export function documentStatus(state: string): DocumentStatus {
  switch (state) {
    case 'active':
      return 'processing';
    case 'completed':
      return 'done';
    case 'failed':
      return 'failed';
    default:
      // waiting, prioritized, delayed, waiting-children, unknown (just added)
      return 'queued';
  }
}
