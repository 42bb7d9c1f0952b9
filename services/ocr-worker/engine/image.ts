/**
 * Image decoding and resizing with sharp (libvips): bytes in, 8-bit RGB pixels out.
 */
import sharp from 'sharp';
import { UndecodableImageError } from './errors.ts';

/** An 8-bit RGB image, pixels row by row, channels interleaved (`R, G, B, R, G, B, ...`). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** The formats the document API accepts (services/shared/ocr-job.ts `ImageType`), as sharp names them. */
const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(['png', 'jpeg', 'webp', 'tiff']);

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Decodes an image to RGB: EXIF orientation applied, transparency flattened onto white (dark text
 * on a transparent background stays readable), any colour space converted to sRGB, the first page
 * or frame only. Throws {@link UndecodableImageError} for anything that is not a readable PNG, JPEG,
 * WebP or TIFF — sharp also reads SVG, GIF, HEIF and more, which the API never sends. Sharp's
 * default pixel limit (268 MP) guards against decompression bombs.
 */
export async function decodeImage(bytes: Uint8Array): Promise<RgbImage> {
  if (bytes.length === 0) throw new UndecodableImageError('cannot decode the image: it is empty (0 bytes)');
  let format: string | undefined;
  try {
    format = (await sharp(bytes).metadata()).format;
  } catch (err) {
    throw new UndecodableImageError(`cannot decode the image: ${reason(err)}`, { cause: err });
  }
  if (format === undefined || !ACCEPTED_FORMATS.has(format)) {
    throw new UndecodableImageError(`cannot decode the image: unsupported format ${format ?? 'unknown'} (expected PNG, JPEG, WebP or TIFF)`);
  }
  try {
    const { data, info } = await sharp(bytes)
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after decoding, got ${info.channels}`);
    return { width: info.width, height: info.height, data };
  } catch (err) {
    throw new UndecodableImageError(`cannot decode the image (${format}): ${reason(err)}`, { cause: err });
  }
}

/** The image resized to exactly `width` × `height` (the aspect ratio is not kept). */
export async function resizeImage(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { width, height, data };
}
