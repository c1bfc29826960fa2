// Validation of raw pixels handed in by the caller, shared by the Node and browser builds (no Node
// import): every field is checked and named before the resampler sees the buffer.
import { ClipError } from '../errors';
import type { RawImage } from '../types';
import type { Pixels } from './pillow-resample';

/** Checks a raw image's fields and size against `limits.maxPixels`; a `ClipError` names the bad field. */
export function checkRawImage(input: RawImage, limits: { maxPixels: number }): Pixels {
  const { data, width, height, channels } = input;
  const bad = (field: string, why: string) =>
    new ClipError('invalid-input', `raw image: field "${field}" ${why}`);
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw bad('data', 'must be a Uint8Array or Uint8ClampedArray');
  }
  if (!Number.isSafeInteger(width) || width <= 0)
    throw bad('width', `must be a positive integer, got ${width}`);
  if (!Number.isSafeInteger(height) || height <= 0) {
    throw bad('height', `must be a positive integer, got ${height}`);
  }
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw bad('channels', `must be 1, 2, 3 or 4, got ${String(channels)}`);
  }
  if (width * height > limits.maxPixels) {
    throw new ClipError(
      'too-large',
      `raw image is ${width}×${height} = ${width * height} pixels, over the limit of ${limits.maxPixels}`,
    );
  }
  if (data.length !== width * height * channels) {
    throw bad(
      'data',
      `is ${data.length} bytes, expected width × height × channels = ${width * height * channels}`,
    );
  }
  // One typed-array class for the resampler's hot loops.
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.length);
  return { data: bytes, width, height, channels };
}
