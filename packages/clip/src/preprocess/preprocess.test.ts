import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { ClipError } from '../errors';
import type { RawImage } from '../types';
import {
  DEFAULT_PREPROCESSOR_CONFIG,
  createPreprocessor,
  parsePreprocessorConfig,
  type PreprocessorConfig,
} from './index';

// Decoding and resampling real photos: generous per-test time for a shared, busy 2-core machine.
vi.setConfig({ testTimeout: 60_000 });

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const imagesDir = path.resolve(repoRoot, '../shared/fixtures/images');
const configPath = path.resolve(repoRoot, '../shared/fixtures/clip-vit-b32/preprocessor_config.json');
const fixture = (name: string) => path.join(imagesDir, name);

const modes = ['exact', 'fast'] as const;

async function rejection(p: Promise<unknown>): Promise<ClipError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClipError);
  return err as ClipError;
}

/** Index of the first differing element, -1 when equal (vitest's toEqual is slow on big typed arrays). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A PNG chunk: length, type, data, CRC over type + data. */
function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}
const PNG_SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

/** A smooth synthetic test pattern, so that resampling has something to do. */
function pattern(width: number, height: number, channels: 1 | 2 | 3 | 4): RawImage {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) {
        data[p + c] = Math.round(127.5 + 127.5 * Math.sin(x / (7 + 3 * c) + y / (11 + 2 * c) + c));
      }
    }
  }
  return { data, width, height, channels };
}

/** Copy a raw image keeping some channels (e.g. [0, 0, 0] turns grey into RGB). */
function pick(src: RawImage, channels: number[], extra?: (i: number) => number): RawImage {
  const n = src.width * src.height;
  const out = channels.length + (extra ? 1 : 0);
  const data = new Uint8Array(n * out);
  for (let i = 0; i < n; i++) {
    channels.forEach((c, k) => (data[i * out + k] = src.data[i * src.channels + c]!));
    if (extra) data[i * out + channels.length] = extra(i);
  }
  return { data, width: src.width, height: src.height, channels: out as RawImage['channels'] };
}

describe('parsePreprocessorConfig', () => {
  it('reads the real CLIP ViT-B/32 preprocessor_config.json', () => {
    const c = parsePreprocessorConfig(JSON.parse(readFileSync(configPath, 'utf8')));
    expect(c.size).toEqual({ shortest_edge: 224 });
    expect(c.crop_size).toEqual({ height: 224, width: 224 });
    expect(c.resample).toBe(3);
    expect(c.rescale_factor).toBeCloseTo(1 / 255, 12);
    expect(c.image_mean).toEqual([0.48145466, 0.4578275, 0.40821073]);
    expect(c).toEqual(DEFAULT_PREPROCESSOR_CONFIG);
  });

  it('reads an integer size as the shortest edge (transformers get_size_dict) and an integer crop as square', () => {
    const c = parsePreprocessorConfig({
      size: 256,
      crop_size: 240,
      feature_extractor_type: 'CLIPFeatureExtractor',
    });
    expect(c.size).toEqual({ shortest_edge: 256 });
    expect(c.crop_size).toEqual({ height: 240, width: 240 });
  });

  it('accepts {shortest_edge} and {height, width} sizes and fills in defaults', () => {
    expect(parsePreprocessorConfig({ size: { shortest_edge: 336 } }).size).toEqual({ shortest_edge: 336 });
    const c = parsePreprocessorConfig({ size: { height: 300, width: 200 }, image_mean: 0.5 });
    expect(c.size).toEqual({ height: 300, width: 200 });
    expect(c.image_mean).toEqual([0.5, 0.5, 0.5]);
    expect(c.do_resize && c.do_center_crop && c.do_rescale && c.do_normalize).toBe(true);
  });

  it.each([
    [{ size: '224' }, 'size'],
    [{ size: { longest_edge: 224 } }, 'size'],
    [{ size: -3 }, 'size'],
    [{ crop_size: { height: 224 } }, 'crop_size'],
    [{ image_mean: [0.5, 0.5] }, 'image_mean'],
    [{ image_std: [0.2, 0, 0.2] }, 'image_std'],
    [{ do_resize: 'yes' }, 'do_resize'],
    [{ rescale_factor: 0 }, 'rescale_factor'],
    [{ resample: 2.5 }, 'resample'],
  ])('rejects %j naming the field', (json, field) => {
    let err: unknown;
    try {
      parsePreprocessorConfig(json);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClipError);
    expect((err as ClipError).code).toBe('invalid-input');
    expect((err as ClipError).message).toContain(`"${field}`);
  });

  it('refuses a non-object and unsupported resampling filters', () => {
    expect(() => parsePreprocessorConfig('nope')).toThrow(ClipError);
    for (const resample of [0, 6]) {
      try {
        parsePreprocessorConfig({ resample });
        expect.unreachable();
      } catch (e) {
        expect((e as ClipError).code).toBe('unsupported');
        expect((e as ClipError).message).toContain('resample');
      }
    }
  });
});

describe('tensors', () => {
  const config = DEFAULT_PREPROCESSOR_CONFIG;

  it.each(modes)('%s: toTensor is the CHW (crop/255 - mean)/std of toRgbCrop', async (mode) => {
    const pp = createPreprocessor(config, { mode });
    const crop = await pp.toRgbCrop(fixture('chelsea.jpg'));
    const tensor = await pp.toTensor(fixture('chelsea.jpg'));
    expect(tensor.length).toBe(3 * 224 * 224);
    expect(pp.tensorLength).toBe(tensor.length);
    const hw = 224 * 224;
    let maxErr = 0;
    for (let i = 0; i < hw; i++) {
      for (let c = 0; c < 3; c++) {
        const want = (crop.data[i * 3 + c]! / 255 - config.image_mean[c]!) / config.image_std[c]!;
        maxErr = Math.max(maxErr, Math.abs(tensor[c * hw + i]! - want));
      }
    }
    expect(maxErr).toBeLessThan(1e-5);
  });

  it('toTensorInto writes one slot of a batch buffer and nothing else', async () => {
    const pp = createPreprocessor(config, { mode: 'exact' });
    const batch = new Float32Array(pp.tensorLength * 3).fill(Number.NaN);
    await pp.toTensorInto(fixture('coffee.png'), batch, pp.tensorLength);
    const single = await pp.toTensor(fixture('coffee.png'));
    expect(firstDifference(batch.subarray(pp.tensorLength, 2 * pp.tensorLength), single)).toBe(-1);
    expect(batch.subarray(0, pp.tensorLength).every(Number.isNaN)).toBe(true);
    expect(batch.subarray(2 * pp.tensorLength).every(Number.isNaN)).toBe(true);
    const err = await rejection(pp.toTensorInto(fixture('coffee.png'), batch, 2 * pp.tensorLength + 1));
    expect(err.code).toBe('invalid-input');
  });

  it('rescale and normalise follow the config (no normalisation: level/255)', async () => {
    const pp = createPreprocessor(parsePreprocessorConfig({ do_normalize: false }), { mode: 'exact' });
    const crop = await pp.toRgbCrop(fixture('rocket.jpg'));
    const tensor = await pp.toTensor(fixture('rocket.jpg'));
    expect(tensor[5]).toBeCloseTo(crop.data[15]! / 255, 6);
    expect(tensor.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe.each(modes)('%s mode inputs', (mode) => {
  const pp = createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode });

  it('file path, Buffer, Uint8Array and RawImage of the same picture agree', async () => {
    const file = fixture('coffee.png');
    const bytes = readFileSync(file);
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    const raw: RawImage = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
    const clamped: RawImage = { ...raw, data: new Uint8ClampedArray(data) };
    const [a, b, c, d, e] = await Promise.all([
      pp.toRgbCrop(file),
      pp.toRgbCrop(bytes),
      pp.toRgbCrop(new Uint8Array(bytes)),
      pp.toRgbCrop(raw),
      pp.toRgbCrop(clamped),
    ]);
    for (const other of [b, c, d, e]) expect(firstDifference(other.data, a.data)).toBe(-1);
  });

  it('raw images with 1, 2, 3 and 4 channels follow convert("RGB"): grey replicated, alpha dropped', async () => {
    const grey = pattern(300, 200, 1);
    const rgb = pattern(300, 200, 3);
    const alpha = (i: number) => (i * 37) & 255;
    const fromGrey = await pp.toRgbCrop(grey);
    expect(firstDifference((await pp.toRgbCrop(pick(grey, [0, 0, 0]))).data, fromGrey.data)).toBe(-1);
    expect(firstDifference((await pp.toRgbCrop(pick(grey, [0], alpha))).data, fromGrey.data)).toBe(-1);
    const fromRgb = await pp.toRgbCrop(rgb);
    expect(firstDifference((await pp.toRgbCrop(pick(rgb, [0, 1, 2], alpha))).data, fromRgb.data)).toBe(-1);
    // grey really is replicated, and RGB really differs per channel
    expect(fromGrey.data[300]).toBe(fromGrey.data[301]);
    expect(fromRgb.data.some((v, i) => i % 3 === 0 && v !== fromRgb.data[i + 1])).toBe(true);
  });

  it.each([
    [{ width: 0 }, 'width'],
    [{ height: 1.5 }, 'height'],
    [{ channels: 5 }, 'channels'],
    [{ data: new Uint8Array(10) }, 'data'],
    [{ data: [1, 2, 3] }, 'data'],
  ])('refuses a raw image with %j', async (patch, field) => {
    const raw = { ...pattern(20, 10, 3), ...patch } as unknown as RawImage;
    const err = await rejection(pp.toRgbCrop(raw));
    expect(err.code).toBe('invalid-input');
    expect(err.message).toContain(`"${field}"`);
  });

  it('gives not-found for a missing file and a directory', async () => {
    expect((await rejection(pp.toRgbCrop(fixture('no-such-file.jpg')))).code).toBe('not-found');
    expect((await rejection(pp.toRgbCrop(imagesDir))).code).toBe('not-found');
  });

  it('gives decode errors for a JPEG cut in its scan data, garbage and an empty buffer', async () => {
    const jpeg = readFileSync(fixture('chelsea.jpg'));
    const cut = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
    expect((await rejection(pp.toRgbCrop(cut))).code).toBe('decode');
    expect((await rejection(pp.toRgbCrop(new Uint8Array(1000).fill(7)))).code).toBe('decode');
    expect((await rejection(pp.toRgbCrop(new Uint8Array(0)))).code).toBe('decode');
    expect((await rejection(pp.toRgbCrop(42 as unknown as string))).code).toBe('invalid-input');
  });

  it('refuses SVG as unsupported (no renderer for untrusted input)', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"></svg>');
    expect((await rejection(pp.toRgbCrop(svg))).code).toBe('unsupported');
  });
});

describe('limits', () => {
  it('refuses a decompression bomb from its header, before decoding', async () => {
    // IHDR claims 60000 × 60000 RGB (10.8 GB decoded); the data is a few bytes.
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(60_000, 0);
    ihdr.writeUInt32BE(60_000, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // RGB
    const bomb = Buffer.concat([
      PNG_SIGNATURE,
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(Buffer.alloc(1000))),
      chunk('IEND', new Uint8Array(0)),
    ]);
    for (const mode of modes) {
      const pp = createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode });
      const err = await rejection(pp.toRgbCrop(bomb));
      expect(err.code).toBe('too-large');
      expect(err.message).toContain('60000×60000');
    }
  });

  it('applies maxPixels to real images and raw input, and maxBytes to buffers and files', async () => {
    const small = createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { maxPixels: 150_000, maxBytes: 100_000 });
    // coffee.png: 600×400 = 240 000 pixels and 449 225 bytes; chelsea.jpg: 135 300 pixels, 35 042 bytes.
    const bytes = readFileSync(fixture('coffee.png'));
    const big = await sharp(bytes).jpeg({ quality: 20 }).toBuffer();
    expect(big.length).toBeLessThan(100_000);
    expect((await rejection(small.toRgbCrop(big))).code).toBe('too-large');
    expect((await rejection(small.toRgbCrop(pattern(500, 400, 1)))).code).toBe('too-large');
    expect((await rejection(small.toRgbCrop(bytes))).message).toContain('449225 bytes');
    expect((await rejection(small.toRgbCrop(fixture('coffee.png')))).code).toBe('too-large');
    expect((await small.toRgbCrop(fixture('chelsea.jpg'))).width).toBe(224);
    expect(() => createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { maxPixels: -1 })).toThrow(ClipError);
  });
});

describe('decoding like Pillow', () => {
  it('ignores an embedded ICC profile (Pillow does not apply it)', async () => {
    const { data, info } = await sharp(fixture('coffee.png')).raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: 3 as const } };
    const plain = await sharp(data, raw).png().toBuffer();
    // A Display P3 profile, inserted as an iCCP chunk after IHDR of the same pixels.
    const profile = (
      await sharp(data, raw)
        .withIccProfile('p3')
        .png()
        .toBuffer()
        .then((b) => sharp(b).metadata())
    ).icc!;
    const iccp = chunk('iCCP', Buffer.concat([Buffer.from('P3\0\0', 'latin1'), deflateSync(profile)]));
    const ihdrEnd = 8 + 8 + 13 + 4;
    const tagged = Buffer.concat([plain.subarray(0, ihdrEnd), iccp, plain.subarray(ihdrEnd)]);
    expect((await sharp(tagged).metadata()).hasProfile).toBe(true);
    // sharp on its own would convert the colours ...
    const converted = await sharp(tagged).raw().toBuffer();
    expect(converted.equals(data)).toBe(false);
    // ... the preprocessor must not.
    for (const mode of modes) {
      const pp = createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode });
      expect(firstDifference((await pp.toRgbCrop(tagged)).data, (await pp.toRgbCrop(plain)).data)).toBe(-1);
    }
  });
});

describe('geometry', () => {
  const withConfig = (json: object) => createPreprocessor(parsePreprocessorConfig(json), { mode: 'exact' });

  it('pads with zeros when the crop is larger than the resized image, like transformers center_crop', async () => {
    // coffee 600×400 → 336×224; a 256×256 crop takes columns 40..295 and pads 16 rows above and below.
    const padded = await withConfig({ crop_size: 256 }).toRgbCrop(fixture('coffee.png'));
    const strip = await withConfig({ crop_size: { height: 224, width: 256 } }).toRgbCrop(
      fixture('coffee.png'),
    );
    expect([padded.width, padded.height]).toEqual([256, 256]);
    const row = 256 * 3;
    expect(padded.data.subarray(0, 16 * row).every((v) => v === 0)).toBe(true);
    expect(padded.data.subarray(240 * row).every((v) => v === 0)).toBe(true);
    expect(firstDifference(padded.data.subarray(16 * row, 240 * row), strip.data)).toBe(-1);
  });

  it('without do_resize crops the centre of the source pixels unchanged', async () => {
    const src = pattern(300, 250, 3);
    const crop = await withConfig({ do_resize: false }).toRgbCrop(src);
    // offsets (300-224)//2 = 38 and (250-224)//2 = 13
    for (const [x, y] of [
      [0, 0],
      [100, 50],
      [223, 223],
    ] as const) {
      for (let c = 0; c < 3; c++) {
        expect(crop.data[(y * 224 + x) * 3 + c]).toBe(src.data[((y + 13) * 300 + x + 38) * 3 + c]);
      }
    }
  });

  it('uses the configured shortest edge (an integer size is not a square resize)', async () => {
    const a = await withConfig({ size: 256 }).toRgbCrop(fixture('chelsea.jpg'));
    const b = await withConfig({ size: { shortest_edge: 256 } }).toRgbCrop(fixture('chelsea.jpg'));
    const square = await withConfig({ size: { height: 256, width: 256 } }).toRgbCrop(fixture('chelsea.jpg'));
    const base = await withConfig({}).toRgbCrop(fixture('chelsea.jpg'));
    expect(firstDifference(a.data, b.data)).toBe(-1);
    expect(firstDifference(a.data, square.data)).not.toBe(-1);
    expect(firstDifference(a.data, base.data)).not.toBe(-1);
  });

  it('refuses a configuration whose output size varies per image', () => {
    const config: PreprocessorConfig = parsePreprocessorConfig({ do_center_crop: false });
    expect(() => createPreprocessor(config)).toThrow(ClipError);
  });
});

describe('fast mode on larger photos stays close to exact', () => {
  const compare = async (jpeg: Uint8Array) => {
    const exact = await createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode: 'exact' }).toRgbCrop(jpeg);
    const fast = await createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode: 'fast' }).toRgbCrop(jpeg);
    let max = 0;
    let sum = 0;
    for (let i = 0; i < exact.data.length; i++) {
      const d = Math.abs(exact.data[i]! - fast.data[i]!);
      max = Math.max(max, d);
      sum += d;
    }
    return { max, mean: sum / exact.data.length };
  };

  it.each([
    [1024, 768, false], // streamed: horizontal pass in libvips, top and bottom rows exact
    [768, 1024, false], // streamed, vertical pass first: left and right columns exact
    [1024, 768, true], // streamed, one grey channel
    [1024, 1024, false], // border on both axes: full decode, libvips resize, exact borders
    [3000, 2000, false], // shrink 8.9: JPEG shrink-on-load
  ])('%i×%i JPEG (grey: %s)', async (width, height, grey) => {
    let pipeline = sharp(fixture('astronaut.jpg'))
      .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
      .sharpen();
    if (grey) pipeline = pipeline.toColourspace('b-w');
    const jpeg = await pipeline.jpeg({ quality: 92 }).toBuffer();
    expect((await sharp(jpeg).metadata()).channels).toBe(grey ? 1 : 3);
    const d = await compare(jpeg);
    expect(d.max).toBeLessThanOrEqual(8);
    expect(d.mean).toBeLessThanOrEqual(0.5);
  });

  it.each([
    [1024, 768],
    [768, 1024],
    [1024, 1024],
  ])('%i×%i with a bright 3-pixel frame: the rows and columns at the border follow Pillow', async (w, h) => {
    // Pillow shortens its filter at the image edge where libvips repeats the edge pixel: 5 levels
    // apart on this picture without the exact border pass, 1 with it.
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const edge = y < 3 || y >= h - 3 || x < 3 || x >= w - 3;
        data.set(edge ? [255, 255, 0] : [(x * 7 + y * 3) % 64, 40, 200], (y * w + x) * 3);
      }
    }
    const jpeg = await sharp(data, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const d = await compare(jpeg);
    expect(d.max).toBeLessThanOrEqual(2);
  });

  it.each([
    [1920, 1080, 5], // shrink 4.8: halved with the kernel first, exact borders
    [1280, 720, 2], // shrink 3.2: streamed
    [720, 1280, 0], // portrait phone video, streamed vertically first
  ])('a letterboxed %i×%i frame with black bars %i px tall', async (width, height, bar) => {
    const inner = await sharp(fixture('coffee.png'))
      .resize(width, height - 2 * bar, { fit: 'fill' })
      .toBuffer();
    const frame = await sharp({ create: { width, height, channels: 3, background: '#000' } })
      .composite([{ input: inner, top: bar, left: 0 }])
      .jpeg({ quality: 90 })
      .toBuffer();
    const d = await compare(frame);
    expect(d.max).toBeLessThanOrEqual(8);
    expect(d.mean).toBeLessThanOrEqual(0.5);
  });
});

describe('corrupted files never crash the process', () => {
  it.each(['chelsea.jpg', 'coffee.png', 'chelsea-lossless.webp', 'animated.gif'])(
    '%s with bytes overwritten or cut off: a crop or a ClipError, every time',
    async (name) => {
      const original = readFileSync(fixture(name));
      const pp = createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode: 'fast' });
      let seed = 12345;
      const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
      const variants: Uint8Array[] = [];
      for (let i = 0; i < 12; i++) {
        const bytes = new Uint8Array(original);
        // Damage a run of bytes past the signature, sometimes in the header, sometimes in the data.
        const at = 8 + Math.floor(random() * (bytes.length - 8));
        for (let k = 0; k < 16 && at + k < bytes.length; k++) bytes[at + k] = Math.floor(random() * 256);
        variants.push(i % 3 === 0 ? bytes.subarray(0, at) : bytes);
      }
      const results = await Promise.allSettled(variants.map((v) => pp.toRgbCrop(v)));
      for (const r of results) {
        if (r.status === 'fulfilled') {
          expect(r.value.data.length).toBe(224 * 224 * 3);
        } else {
          expect(r.reason).toBeInstanceOf(ClipError);
          expect(['decode', 'too-large', 'unsupported']).toContain((r.reason as ClipError).code);
        }
      }
      // A truncated copy of each is refused (Pillow refuses truncated images too).
      expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0);
    },
  );
});
