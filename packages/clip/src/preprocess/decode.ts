// Turning an ImageInput into something sharp can decode, with the limits checked before any pixel is
// decoded: byte size first (file size from stat, before reading), then the pixel count from the header.
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import type { Metadata, SharpOptions } from 'sharp';
import { ClipError } from '../errors';
import type { ImageInput, RawImage } from '../types';
import type { Pixels } from './pillow-resample';
import { checkRawImage } from './raw';

/** Formats decoded like a media library's Pillow would; SVG/PDF and other renderers are refused. */
const ALLOWED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

/** Limits applied to every input. */
export interface InputLimits {
  /** Largest accepted width × height, checked from the header before decoding. */
  maxPixels: number;
  /** Largest accepted encoded size in bytes (file size or buffer length). */
  maxBytes: number;
}

/** An encoded image whose header passed the checks, or raw pixels that passed validation. */
export type CheckedInput =
  | {
      kind: 'encoded';
      bytes: Uint8Array;
      /** Width and height after EXIF orientation. */
      width: number;
      height: number;
      format: string;
      hasAlpha: boolean;
      /** Stored channel count (1 grey … 4 RGBA). */
      channels: number;
      /** EXIF orientation is not 1, so sharp must rotate before resizing. */
      oriented: boolean;
      /** 8 bits per sample (not a 16-bit PNG or TIFF, where Pillow's conversion differs). */
      eightBit: boolean;
      label: string;
    }
  | { kind: 'raw'; pixels: Pixels; label: string };

/** sharp options shared by every decode: no ICC conversion (Pillow ignores profiles), EXIF orientation
 * applied, first frame only, a decode error on corrupt or truncated data (Pillow refuses those) but not
 * on libjpeg warnings (Pillow ignores those), and sharp's own pixel limit as a second guard. */
export function sharpOptions(limits: InputLimits): SharpOptions {
  return {
    ignoreIcc: true,
    autoOrient: true,
    failOn: 'error',
    limitInputPixels: Math.max(1, Math.floor(limits.maxPixels)),
    pages: 1,
    page: 0,
  };
}

function isRawImage(input: unknown): input is RawImage {
  return typeof input === 'object' && input !== null && !(input instanceof Uint8Array) && 'data' in input;
}

function describe(input: ImageInput): string {
  if (typeof input === 'string') return `file ${JSON.stringify(input)}`;
  if (input instanceof Uint8Array) return `buffer of ${input.length} bytes`;
  return 'raw image';
}

async function readBytes(input: Uint8Array | string, limits: InputLimits): Promise<Uint8Array> {
  if (input instanceof Uint8Array) {
    if (input.length > limits.maxBytes) {
      throw new ClipError(
        'too-large',
        `image is ${input.length} bytes, over the limit of ${limits.maxBytes}`,
      );
    }
    return input;
  }
  let size: number;
  try {
    const s = await stat(input);
    if (!s.isFile()) throw new ClipError('not-found', `${JSON.stringify(input)} is not a file`);
    size = s.size;
  } catch (err) {
    if (err instanceof ClipError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ClipError('not-found', `image file not found: ${JSON.stringify(input)}`, { cause: err });
    }
    throw new ClipError('decode', `cannot read image file ${JSON.stringify(input)}: ${String(err)}`, {
      cause: err,
    });
  }
  if (size > limits.maxBytes) {
    throw new ClipError(
      'too-large',
      `image file ${JSON.stringify(input)} is ${size} bytes, over the limit of ${limits.maxBytes}`,
    );
  }
  try {
    return await readFile(input);
  } catch (err) {
    throw new ClipError('decode', `cannot read image file ${JSON.stringify(input)}: ${String(err)}`, {
      cause: err,
    });
  }
}

/** Validate an input and read its header; nothing is decoded yet. */
export async function checkInput(input: ImageInput, limits: InputLimits): Promise<CheckedInput> {
  if (isRawImage(input)) return { kind: 'raw', pixels: checkRawImage(input, limits), label: 'raw image' };
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new ClipError('invalid-input', 'image input must be a Uint8Array, a file path or a raw image');
  }
  const label = describe(input);
  const bytes = await readBytes(input, limits);
  if (bytes.length === 0) throw new ClipError('decode', `${label} is empty`);
  let meta: Metadata;
  try {
    // The header only: dimensions and format, no pixel decoding.
    meta = await sharp(bytes, { ...sharpOptions(limits), limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ClipError('decode', `${label} is not a decodable image: ${firstLine(err)}`, { cause: err });
  }
  const format = meta.format ?? 'unknown';
  if (!ALLOWED_FORMATS.has(format)) {
    throw new ClipError(
      'unsupported',
      `${label} is in format "${format}"; supported: ${[...ALLOWED_FORMATS].join(', ')}`,
    );
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new ClipError('decode', `${label} has no dimensions in its header`);
  if (width * height > limits.maxPixels) {
    throw new ClipError(
      'too-large',
      `${label} is ${width}×${height} = ${width * height} pixels, over the limit of ${limits.maxPixels}`,
    );
  }
  return {
    kind: 'encoded',
    bytes,
    width,
    height,
    format,
    hasAlpha: meta.hasAlpha ?? false,
    channels: meta.channels ?? 3,
    oriented: (meta.orientation ?? 1) !== 1,
    eightBit: meta.depth === 'uchar',
    label,
  };
}

/** The first line of an error message (libvips repeats its decoder's complaints over many lines). */
export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.trim();
}

/**
 * Whether a decode error lost libvips's reason. libvips keeps one error buffer for the whole process;
 * when decodes fail at the same time on several threads, one can read it after another has cleared
 * it, and sharp then reports "Unknown error". Such a failure is worth decoding again.
 */
export function reasonLost(err: unknown): boolean {
  return err instanceof ClipError && err.code === 'decode' && /^unknown error$/i.test(firstLine(err.cause));
}

/**
 * What the container structure says about truncation, for when libvips gave no reason: a JPEG
 * without its end-of-image marker, a PNG without IEND, a WebP shorter than its RIFF size, a GIF
 * without its trailer.
 */
export function truncation(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8)) {
    let end = n;
    while (end > 2 && bytes[end - 1] === 0) end--; // zero padding after EOI is harmless
    if (!(bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9))
      return 'the JPEG data ends before its end-of-image marker (truncated)';
  } else if (starts(0x89, 0x50, 0x4e, 0x47)) {
    const tail = Buffer.from(bytes.subarray(Math.max(0, n - 12)));
    if (!tail.includes('IEND')) return 'the PNG data ends before its IEND chunk (truncated)';
  } else if (starts(0x52, 0x49, 0x46, 0x46) && n >= 12) {
    const size = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! * 2 ** 24);
    if (size + 8 > n)
      return `the WebP data is ${n} bytes but its RIFF header declares ${size + 8} (truncated)`;
  } else if (starts(0x47, 0x49, 0x46) && bytes[n - 1] !== 0x3b) {
    return 'the GIF data ends before its trailer (truncated)';
  }
  return undefined;
}

/** Map a sharp failure during decoding to a ClipError. */
export function decodeError(label: string, err: unknown): ClipError {
  if (err instanceof ClipError) return err;
  const message = firstLine(err);
  if (/pixel limit/i.test(message)) {
    return new ClipError('too-large', `${label} exceeds the pixel limit: ${message}`, { cause: err });
  }
  return new ClipError('decode', `${label} could not be decoded: ${message}`, { cause: err });
}

/**
 * Decode to 8-bit pixels as Pillow's `load_image` sees them: EXIF orientation applied, embedded ICC
 * profile ignored, grey kept as one channel (convert('RGB') replicates it later), alpha dropped without
 * compositing.
 */
export async function decodePixels(checked: CheckedInput, limits: InputLimits): Promise<Pixels> {
  if (checked.kind === 'raw') return checked.pixels;
  try {
    let pipeline = sharp(checked.bytes, sharpOptions(limits));
    if (checked.channels <= 2) pipeline = pipeline.toColourspace('b-w');
    // No resize in this pipeline, so removeAlpha simply drops the channel (no premultiplication).
    const { data, info } = await pipeline
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    if (channels < 1 || channels > 4) {
      throw new ClipError('unsupported', `${checked.label} decodes to ${channels} channels`);
    }
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: channels as Pixels['channels'],
    };
  } catch (err) {
    throw decodeError(checked.label, err);
  }
}
