/**
 * What an uploaded file is, decided by its first bytes only: the file name and the client's
 * content type are whatever the client says, the magic bytes are what the OCR worker will decode.
 */
import type { ImageType } from '../shared/ocr-job.ts';

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const RIFF = [0x52, 0x49, 0x46, 0x46]; // "RIFF"
const WEBP = [0x57, 0x45, 0x42, 0x50]; // "WEBP", after the 4-byte RIFF size
const TIFF_LITTLE_ENDIAN = [0x49, 0x49, 0x2a, 0x00]; // "II*\0"
const TIFF_BIG_ENDIAN = [0x4d, 0x4d, 0x00, 0x2a]; // "MM\0*"

function hasAt(bytes: Uint8Array, offset: number, magic: readonly number[]): boolean {
  return bytes.length >= offset + magic.length && magic.every((byte, i) => bytes[offset + i] === byte);
}

/** The image type of `bytes` by its magic number, or undefined when it is none the OCR worker reads. */
export function detectImageType(bytes: Uint8Array): ImageType | undefined {
  if (hasAt(bytes, 0, PNG)) return 'png';
  if (hasAt(bytes, 0, JPEG)) return 'jpg';
  if (hasAt(bytes, 0, RIFF) && hasAt(bytes, 8, WEBP)) return 'webp';
  if (hasAt(bytes, 0, TIFF_LITTLE_ENDIAN) || hasAt(bytes, 0, TIFF_BIG_ENDIAN)) return 'tiff';
  return undefined;
}
