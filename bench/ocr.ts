/**
 * How fast the OCR engine reads a page on the CPU.
 *
 *   npm run bench:ocr [-- --warmup 3 --runs 20 --threads N]
 *
 * Renders an A4 page at 150 dpi (1240 × 1754 px, PNG) with 30 lines of invoice-like text (Liberation
 * Sans / DejaVu Sans, 22–40 px) from an SVG with sharp, creates one engine with provider 'cpu',
 * runs --warmup unmeasured recognitions and then --runs measured ones, one after another (as the
 * worker runs jobs), and prints images per second, the p50 and p95 latency of `recognize` (decode +
 * detection + recognition) and how many of the 30 lines came back exactly. The GPU (CUDA) figure is
 * not measured here: this machine has no GPU, and the engine falls back to the CPU.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { createOcrEngine } from '../services/ocr-worker/engine/index.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({
  options: {
    warmup: { type: 'string', default: '3' },
    runs: { type: 'string', default: '20' },
    threads: { type: 'string' },
  },
});
const warmup = Number(values.warmup);
const runs = Number(values.runs);
const threads = values.threads === undefined ? undefined : Number(values.threads);

const WIDTH = 1240;
const HEIGHT = 1754;

/** The page's lines: what should be read back. */
const PAGE_LINES: readonly string[] = [
  'ACME Corporation',
  'INVOICE 2024-0042',
  'Invoice date 2024-03-01',
  'Due date 2024-03-31',
  'Customer: Northwind Traders',
  'Main Street 12, 10115 Berlin',
  'VAT ID DE123456789',
  'Order No 778812',
  'Item Qty Price Amount',
  'Paper A4 80g 10 4.99 49.90',
  'Toner black 2 89.00 178.00',
  'Stapler heavy duty 1 24.50 24.50',
  'Envelopes C5 500 0.05 25.00',
  'Printer service 1 120.00 120.00',
  'Shipping 1 9.90 9.90',
  'Subtotal 407.30',
  'VAT 19% 77.39',
  'TOTAL 484.69 EUR',
  'Payment within 30 days',
  'Bank: First National Bank',
  'IBAN DE89 3704 0044 0532 0130 00',
  'BIC COBADEFFXXX',
  'Reference INV-2024-0042',
  'Questions? billing@acme.example',
  'Phone +49 30 1234567',
  'Thank you for your order',
  'Delivery note 5521 attached',
  'Terms and conditions apply',
  'Page 1 of 1',
  'ACME Corporation, Berlin',
];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

async function renderPage(): Promise<Buffer> {
  const top = 110;
  const step = (HEIGHT - 2 * top) / PAGE_LINES.length;
  const body = PAGE_LINES.map((line, i) => {
    const size = i === 1 ? 40 : i === 17 ? 30 : 22 + (i % 3) * 2;
    const family = i % 2 === 0 ? 'Liberation Sans' : 'DejaVu Sans';
    return `<text x="120" y="${Math.round(top + i * step + size)}" font-family="${family}" font-size="${size}">${escapeXml(line)}</text>`;
  }).join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}"><rect width="100%" height="100%" fill="white"/><g fill="black">${body}</g></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

const page = await renderPage();
const cpu = cpus();
console.log(`machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? '?'}, sharp ${sharp.versions.sharp ?? '?'}`);
console.log(`image: ${WIDTH}×${HEIGHT} PNG (A4 at 150 dpi), ${PAGE_LINES.length} lines, ${(page.length / 1024).toFixed(0)} KiB`);

const started = performance.now();
const engine = await createOcrEngine({ provider: 'cpu', ...(threads === undefined ? {} : { threads }) });
console.log(`engine: provider ${engine.provider}, threads ${threads ?? 'onnxruntime default'}, created in ${(performance.now() - started).toFixed(0)} ms`);
try {
  for (let i = 0; i < warmup; i++) await engine.recognize(page);
  const latencies: number[] = [];
  let last: Awaited<ReturnType<typeof engine.recognize>> | undefined;
  const measured = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await engine.recognize(page);
    latencies.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - measured) / 1000;
  latencies.sort((a, b) => a - b);
  const read = new Set(last?.lines.map((l) => l.text) ?? []);
  const exact = PAGE_LINES.filter((line) => read.has(line)).length;
  console.log(`runs: ${warmup} warm-up + ${runs} measured, sequential`);
  console.log(`CPU: ${(runs / elapsed).toFixed(2)} images/s, latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms (min ${latencies[0]?.toFixed(0)} ms, max ${latencies[latencies.length - 1]?.toFixed(0)} ms)`);
  console.log(`accuracy: ${exact}/${PAGE_LINES.length} lines read exactly (${last?.lines.length ?? 0} lines returned)`);
  for (const line of PAGE_LINES.filter((l) => !read.has(l))) console.log(`  not exact: "${line}"`);
  console.log('GPU: not measured here (no GPU on this machine; the CUDA figure needs a run on a GPU host with provider cuda).');
} finally {
  await engine.close();
}
