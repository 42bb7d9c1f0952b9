/**
 * The OCR engine for real: the PP-OCRv4 ONNX models on ONNX Runtime (CPU), reading a page rendered
 * from an SVG with sharp (black DejaVu Sans / Liberation Sans on white). No mocks.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OcrJobResult } from '../../services/shared/ocr-job.ts';
import type { OcrEngine, OcrProviderEvent } from '../../services/ocr-worker/engine/index.ts';
import {
  ExecutionProviderUnavailableError,
  OcrEngineClosedError,
  UndecodableImageError,
  createOcrEngine,
} from '../../services/ocr-worker/engine/index.ts';

const WIDTH = 900;
const HEIGHT = 420;
const PAGE_LINES = [
  { text: 'INVOICE 2024', y: 80, font: 'DejaVu Sans', size: 40 },
  { text: 'Customer: ACME Corp', y: 180, font: 'Liberation Sans', size: 36 },
  { text: 'TOTAL 1234.56', y: 280, font: 'DejaVu Sans', size: 36 },
  { text: 'Thank you', y: 370, font: 'Liberation Sans', size: 32 },
] as const;

function pageSvg(): Buffer {
  const lines = PAGE_LINES.map((l) => `<text x="60" y="${l.y}" font-family="${l.font}" font-size="${l.size}">${l.text}</text>`).join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}"><rect width="100%" height="100%" fill="white"/><g fill="black">${lines}</g></svg>`,
  );
}

/** Whether onnxruntime-node has its CUDA provider library here (it does not on the CI machine). */
function cudaProviderInstalled(): boolean {
  const binding = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
  return existsSync(join(binding, '..', 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so'));
}

/** What every readable result of the page must satisfy. */
function expectPageRead(result: OcrJobResult): void {
  const words = result.text.split(/\s+/);
  for (const word of ['INVOICE', '2024', 'TOTAL', '1234.56']) expect(words).toContain(word);
  const texts = result.lines.map((l) => l.text);
  expect(texts).toContain('INVOICE 2024');
  expect(texts).toContain('TOTAL 1234.56');
  expect(result.text).toBe(texts.join('\n'));
  // Lines top to bottom: INVOICE before Customer before TOTAL, and their boxes going down.
  const row = (word: string): number => texts.findIndex((t) => t.split(' ').includes(word));
  expect(row('INVOICE')).toBeGreaterThanOrEqual(0);
  expect(row('INVOICE')).toBeLessThan(row('TOTAL'));
  const centers = result.lines.map((l) => l.box.reduce((sum, [, y]) => sum + y, 0) / l.box.length);
  expect(centers).toEqual([...centers].sort((a, b) => a - b));
  for (const line of result.lines) {
    expect(line.confidence).toBeGreaterThan(0);
    expect(line.confidence).toBeLessThanOrEqual(1);
    expect(line.box).toHaveLength(4);
    for (const [x, y] of line.box) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(WIDTH);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThan(HEIGHT);
    }
  }
  expect(result.provider).toBe('cpu');
  expect(result.durationMs).toBeGreaterThanOrEqual(0);
}

describe('OCR engine (PP-OCRv4, ONNX Runtime CPU)', () => {
  let engine: OcrEngine;
  let png: Buffer;
  const events: OcrProviderEvent[] = [];

  beforeAll(async () => {
    png = await sharp(pageSvg()).png().toBuffer();
    engine = await createOcrEngine({ provider: 'cpu', log: (e) => events.push(e) });
  }, 60_000);
  afterAll(async () => {
    await engine.close();
  });

  it('logs the provider in use at start', () => {
    expect(engine.provider).toBe('cpu');
    expect(events).toEqual([{ event: 'ocr.provider', provider: 'cpu', requested: 'cpu', reason: 'CPU requested' }]);
  });

  it('reads the exact words of a PNG page, lines in order, boxes inside the image', async () => {
    const result = await engine.recognize(png);
    expectPageRead(result);
    expect(result.lines.map((l) => l.text)).toEqual(PAGE_LINES.map((l) => l.text));
  }, 60_000);

  it('reads the same page as JPEG and as WebP', async () => {
    const jpeg = await sharp(png).jpeg({ quality: 85 }).toBuffer();
    const webp = await sharp(png).webp({ quality: 85 }).toBuffer();
    expectPageRead(await engine.recognize(jpeg));
    expectPageRead(await engine.recognize(webp));
  }, 60_000);

  it('applies the EXIF orientation', async () => {
    // Stored turned a quarter clockwise, with orientation 8 (rotate 270° to view) in its EXIF.
    const turned = await sharp(png).rotate(90).withMetadata({ orientation: 8 }).jpeg({ quality: 90 }).toBuffer();
    expectPageRead(await engine.recognize(turned));
  }, 60_000);

  it('returns no lines for a blank page', async () => {
    const blank = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ffffff' } }).png().toBuffer();
    expect(await engine.recognize(blank)).toMatchObject({ text: '', lines: [], provider: 'cpu' });
  }, 60_000);

  it('runs calls made together one after another, with the same results', async () => {
    const [a, b] = await Promise.all([engine.recognize(png), engine.recognize(png)]);
    expect(a.lines).toEqual(b.lines);
  }, 60_000);

  it('throws UndecodableImageError for bytes that are not an image', async () => {
    const text = Buffer.from('Customer: ACME Corp\nTOTAL 1234.56\n', 'utf8');
    const error: unknown = await engine.recognize(text).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(UndecodableImageError);
    expect((error as Error).name).toBe('UndecodableImageError');
    expect((error as Error).message).toMatch(/^cannot decode the image/);
    await expect(engine.recognize(Buffer.alloc(0))).rejects.toBeInstanceOf(UndecodableImageError);
    await expect(engine.recognize(pageSvg())).rejects.toThrow(/unsupported format svg/);
    await expect(engine.recognize(png.subarray(0, 200))).rejects.toBeInstanceOf(UndecodableImageError);
    // The engine still works afterwards.
    expectPageRead(await engine.recognize(png));
  }, 60_000);
});

describe.skipIf(cudaProviderInstalled())('OCR engine providers on a machine without CUDA', () => {
  it("'auto' picks the CPU and says why", async () => {
    const events: OcrProviderEvent[] = [];
    const engine = await createOcrEngine({ log: (e) => events.push(e) });
    try {
      expect(engine.provider).toBe('cpu');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ event: 'ocr.provider', provider: 'cpu', requested: 'auto' });
      expect(events[0]!.reason).toMatch(/^CUDA execution provider unavailable: \S/);
    } finally {
      await engine.close();
    }
  }, 60_000);

  it("'cuda' required fails with a clear error", async () => {
    const error: unknown = await createOcrEngine({ provider: 'cuda' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ExecutionProviderUnavailableError);
    expect(error).toMatchObject({ name: 'ExecutionProviderUnavailableError', provider: 'cuda' });
    expect((error as Error).message).toMatch(/^CUDA execution provider unavailable: .*use 'auto'/);
  }, 60_000);
});

describe('OCR engine lifecycle', () => {
  it('close is idempotent and later calls fail with OcrEngineClosedError', async () => {
    const engine = await createOcrEngine({ provider: 'cpu', threads: 1 });
    await Promise.all([engine.close(), engine.close()]);
    await engine.close();
    await expect(engine.recognize(Buffer.from('x'))).rejects.toBeInstanceOf(OcrEngineClosedError);
  }, 60_000);

  it('rejects a bad thread count', async () => {
    await expect(createOcrEngine({ provider: 'cpu', threads: 0 })).rejects.toThrow(RangeError);
  });
});
