import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectImageType } from './image-type.ts';

const image = sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 10, g: 20, b: 30 } } });

describe('detectImageType', () => {
  it('reads the type of real images from their first bytes', async () => {
    expect(detectImageType(await image.clone().png().toBuffer())).toBe('png');
    expect(detectImageType(await image.clone().jpeg().toBuffer())).toBe('jpg');
    expect(detectImageType(await image.clone().webp().toBuffer())).toBe('webp');
    expect(detectImageType(await image.clone().tiff().toBuffer())).toBe('tiff');
  });

  it('knows both TIFF byte orders', () => {
    expect(detectImageType(Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]))).toBe('tiff');
    expect(detectImageType(Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]))).toBe('tiff');
  });

  it('refuses anything else, and prefixes too short to tell', () => {
    expect(detectImageType(Buffer.from('hello, this is text, not a picture.png'))).toBeUndefined();
    expect(detectImageType(Buffer.from('%PDF-1.7\n'))).toBeUndefined();
    expect(detectImageType(Buffer.from('GIF89a'))).toBeUndefined();
    expect(detectImageType(Buffer.alloc(0))).toBeUndefined();
    expect(detectImageType(Buffer.from([0x89, 0x50, 0x4e, 0x47]))).toBeUndefined();
    expect(detectImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeUndefined();
    expect(detectImageType(Buffer.from('RIFF\0\0\0\0WEB'))).toBeUndefined();
  });
});
