// Turning what the browser decoded into pixels for the shared resampler (worker side). Decoding is
// the browser's (createImageBitmap: EXIF orientation applied, ICC profiles ignored with
// colorSpaceConversion 'none', no premultiplication, first frame of an animation). The pixels are
// read back through WebGL2 where it exists, since a 2D canvas stores premultiplied alpha and so
// loses the colour of transparent pixels that Pillow's convert('RGB') keeps.
import { ClipError } from '../errors';
import type { Pixels } from '../preprocess/pure';
import { checkRawImage } from '../preprocess/raw';
import type { RawImage } from '../types';
import type { WorkerImage } from './protocol';

/** createImageBitmap options that keep the decoded values as Pillow sees them. */
export const BITMAP_OPTIONS: ImageBitmapOptions = {
  imageOrientation: 'from-image',
  premultiplyAlpha: 'none',
  colorSpaceConversion: 'none',
};

/** Limits applied to every image. */
export interface PixelLimits {
  maxPixels: number;
  maxBytes: number;
}

let gl: WebGL2RenderingContext | null | undefined;
let reader: 'webgl2' | 'canvas2d' | 'none' = 'none';

/** How pixels were last read back. */
export function pixelReader(): 'webgl2' | 'canvas2d' | 'none' {
  return reader;
}

function webgl(): WebGL2RenderingContext | null {
  if (gl === undefined) {
    try {
      gl = new OffscreenCanvas(1, 1).getContext('webgl2', { premultipliedAlpha: false, antialias: false });
    } catch {
      gl = null;
    }
  }
  return gl;
}

function readWebgl(g: WebGL2RenderingContext, bitmap: ImageBitmap): Uint8Array | undefined {
  const { width, height } = bitmap;
  const max = g.getParameter(g.MAX_TEXTURE_SIZE) as number;
  if (width > max || height > max) return undefined;
  const tex = g.createTexture();
  const fb = g.createFramebuffer();
  try {
    g.bindTexture(g.TEXTURE_2D, tex);
    g.pixelStorei(g.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    g.pixelStorei(g.UNPACK_FLIP_Y_WEBGL, false);
    g.pixelStorei(g.UNPACK_COLORSPACE_CONVERSION_WEBGL, g.NONE);
    g.texImage2D(g.TEXTURE_2D, 0, g.RGBA8, width, height, 0, g.RGBA, g.UNSIGNED_BYTE, bitmap);
    g.bindFramebuffer(g.FRAMEBUFFER, fb);
    g.framebufferTexture2D(g.FRAMEBUFFER, g.COLOR_ATTACHMENT0, g.TEXTURE_2D, tex, 0);
    if (g.checkFramebufferStatus(g.FRAMEBUFFER) !== g.FRAMEBUFFER_COMPLETE) return undefined;
    const out = new Uint8Array(width * height * 4);
    g.pixelStorei(g.PACK_ALIGNMENT, 1);
    g.readPixels(0, 0, width, height, g.RGBA, g.UNSIGNED_BYTE, out);
    return g.getError() === g.NO_ERROR ? out : undefined;
  } finally {
    g.bindFramebuffer(g.FRAMEBUFFER, null);
    g.deleteFramebuffer(fb);
    g.deleteTexture(tex);
  }
}

function readCanvas(bitmap: ImageBitmap): Uint8Array {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ClipError('unsupported', 'this browser gives no 2D canvas context in a worker');
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height, { colorSpace: 'srgb' }).data;
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** RGBA pixels of a decoded bitmap. */
export function bitmapPixels(bitmap: ImageBitmap, limits: PixelLimits): Pixels {
  const { width, height } = bitmap;
  if (width * height > limits.maxPixels) {
    throw new ClipError(
      'too-large',
      `image is ${width}×${height} = ${width * height} pixels, over the limit of ${limits.maxPixels}`,
    );
  }
  const g = webgl();
  let data = g ? readWebgl(g, bitmap) : undefined;
  if (data) reader = 'webgl2';
  else {
    data = readCanvas(bitmap);
    reader = 'canvas2d';
  }
  return { data, width, height, channels: 4 };
}

function isRaw(v: unknown): v is RawImage {
  return typeof v === 'object' && v !== null && 'data' in v && 'channels' in v;
}

/** Decode (when encoded) and read the pixels of an image that crossed into the worker. */
export async function workerPixels(image: WorkerImage, limits: PixelLimits): Promise<Pixels> {
  if (isRaw(image)) return checkRawImage(image, limits);
  if (image instanceof Blob) {
    if (image.size > limits.maxBytes) {
      throw new ClipError('too-large', `image is ${image.size} bytes, over the limit of ${limits.maxBytes}`);
    }
    if (image.size === 0) throw new ClipError('decode', 'image blob is empty');
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(image, BITMAP_OPTIONS);
    } catch (err) {
      throw new ClipError(
        'decode',
        `the browser cannot decode this ${image.type || 'blob'} of ${image.size} bytes: ${(err as Error).message}`,
        { cause: err },
      );
    }
    try {
      return bitmapPixels(bitmap, limits);
    } finally {
      bitmap.close();
    }
  }
  if (typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap) {
    try {
      return bitmapPixels(image, limits);
    } finally {
      image.close();
    }
  }
  throw new ClipError('invalid-input', 'image must be a Blob, an ImageBitmap or raw pixels');
}
