// Pillow's ImagingResample (src/libImaging/Resample.c, Pillow 9.4, 8 bits per channel) reproduced for
// the pixels a centre crop keeps. Pillow resizes in two separable passes, horizontal first, each with
// per-output-pixel filter weights normalised to sum 1 and turned into fixed point with 22 fractional
// bits; the horizontal pass is rounded and clipped to 8 bits before the vertical pass. Every output
// pixel depends only on its own row/column weights, so computing the horizontal pass for just the
// source rows the kept output rows read, and only at the kept columns, gives the very same bytes as
// Pillow's full resize followed by the crop, at a fraction of the cost.
import type { CropPlan } from './geometry';

/** Decoded pixels in row-major interleaved order; 1 = grey, 2 = grey+alpha, 3 = RGB, 4 = RGBA. */
export interface Pixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

interface Filter {
  fn: (x: number) => number;
  support: number;
}

// The filters exactly as Resample.c writes them (operation order matters for the last bit).
const FILTERS: Record<number, Filter> = {
  // 1 = LANCZOS
  1: {
    support: 3,
    fn: (x) => (-3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0),
  },
  // 2 = BILINEAR
  2: {
    support: 1,
    fn: (x) => {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
  // 3 = BICUBIC, a = -0.5
  3: {
    support: 2,
    fn: (x) => {
      if (x < 0) x = -x;
      if (x < 1) return ((-0.5 + 2.0) * x - (-0.5 + 3.0)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * -0.5;
      return 0;
    },
  },
  // 4 = BOX
  4: { support: 0.5, fn: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  // 5 = HAMMING (Pillow multiplies by float constants 0.54f/0.46f)
  5: {
    support: 1,
    fn: (x) => {
      if (x < 0) x = -x;
      if (x === 0) return 1;
      if (x >= 1) return 0;
      x = x * Math.PI;
      return (Math.sin(x) / x) * (Math.fround(0.54) + Math.fround(0.46) * Math.cos(x));
    },
  },
};

/** Support (half-width, in source pixels at scale 1) of a Pillow filter. */
export function filterSupport(filter: number): number {
  const f = FILTERS[filter];
  if (!f) throw new Error(`unknown filter ${filter}`);
  return f.support;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  x = x * Math.PI;
  return Math.sin(x) / x;
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Fixed-point weights for a run of output positions along one axis. */
interface AxisCoefficients {
  /** First source index read by each kept output position. */
  start: Int32Array;
  /** Number of source indices read. */
  count: Int32Array;
  /** Weights, `stride` per output position. */
  weights: Int32Array;
  stride: number;
}

/**
 * precompute_coeffs + normalize_coeffs_8bpc for output positions [first, first + n) of a resize from
 * `inSize` to `outSize`. When the axis is not resized Pillow skips the pass; an identity weight of
 * 1.0 gives the same bytes.
 */
export function axisCoefficients(
  inSize: number,
  outSize: number,
  first: number,
  n: number,
  filter: number,
): AxisCoefficients {
  const f = FILTERS[filter];
  if (!f) throw new Error(`unknown filter ${filter}`);
  if (inSize === outSize) {
    const start = new Int32Array(n);
    for (let i = 0; i < n; i++) start[i] = first + i;
    return { start, count: new Int32Array(n).fill(1), weights: new Int32Array(n).fill(ONE), stride: 1 };
  }
  // in1 - in0 is a float subtraction of the box, exact for image sizes.
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = f.support * filterscale;
  const stride = Math.ceil(support) * 2 + 1;
  const ss = 1.0 / filterscale;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Int32Array(n * stride);
  const k = new Float64Array(stride);
  for (let i = 0; i < n; i++) {
    const xx = first + i;
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = f.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    const base = i * stride;
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      weights[base + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[i] = xmin;
    count[i] = xmax;
  }
  return { start, count, weights, stride };
}

/** clip8 of Resample.c: round (the HALF was added up front), shift, clamp to 0..255. */
function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

const ROWS_PER_STEP = 8;

// The two horizontal kernels are separate functions so that each hot loop sees one shape of data.
// Sums stay in int32 like Pillow's (Math.imul; the weights are designed not to overflow).

function horizontalGrey(
  data: Uint8Array,
  rowBytes: number,
  c: number,
  from: number,
  to: number,
  firstRow: number,
  cols: AxisCoefficients,
  width: number,
  tmp: Uint8Array,
): void {
  const { start, count, weights, stride } = cols;
  for (let r = from; r < to; r++) {
    const inRow = r * rowBytes;
    let o = (r - firstRow) * width;
    for (let xx = 0; xx < width; xx++) {
      const n = count[xx]!;
      let kb = xx * stride;
      let p = inRow + start[xx]! * c;
      let s0 = HALF;
      for (let x = 0; x < n; x++, p += c, kb++) s0 = (s0 + Math.imul(data[p]!, weights[kb]!)) | 0;
      const v = s0 >> PRECISION_BITS;
      tmp[o++] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

function horizontalRgb(
  data: Uint8Array,
  rowBytes: number,
  c: number,
  from: number,
  to: number,
  firstRow: number,
  cols: AxisCoefficients,
  width: number,
  tmp: Uint8Array,
): void {
  const { start, count, weights, stride } = cols;
  for (let r = from; r < to; r++) {
    const inRow = r * rowBytes;
    let o = (r - firstRow) * width * 3;
    for (let xx = 0; xx < width; xx++) {
      const n = count[xx]!;
      let kb = xx * stride;
      let p = inRow + start[xx]! * c;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < n; x++, p += c, kb++) {
        const w = weights[kb]!;
        s0 = (s0 + Math.imul(data[p]!, w)) | 0;
        s1 = (s1 + Math.imul(data[p + 1]!, w)) | 0;
        s2 = (s2 + Math.imul(data[p + 2]!, w)) | 0;
      }
      let v = s0 >> PRECISION_BITS;
      tmp[o++] = v < 0 ? 0 : v > 255 ? 255 : v;
      v = s1 >> PRECISION_BITS;
      tmp[o++] = v < 0 ? 0 : v > 255 ? 255 : v;
      v = s2 >> PRECISION_BITS;
      tmp[o++] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

/** Options of {@link resampleCrop}. */
export interface ResampleOptions {
  /** Pillow filter number (1–5). */
  filter: number;
  /** Yield to the event loop once a slice of work has taken this long, ms. */
  sliceMs?: number;
}

const now = (): number => performance.now();
// Pure TypeScript, shared by the Node and browser builds: setImmediate where the runtime has it
// (Node), a zero timeout elsewhere (browsers and their workers).
const yieldToLoop = (): Promise<void> =>
  new Promise((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );

/**
 * Write the RGB bytes Pillow's `convert('RGB').resize(…)` followed by the crop of `plan` produces into
 * `out` (`plan.outWidth * plan.outHeight * 3`, zero where transformers pads). Grey input is resampled
 * once and replicated, as convert('RGB') makes three equal channels; alpha is dropped beforehand.
 * Yields to the event loop between slices so that a large image never blocks it for long.
 */
export async function resampleCrop(
  src: Pixels,
  plan: CropPlan,
  out: Uint8Array,
  options: ResampleOptions,
): Promise<void> {
  const { width: sw, height: sh, channels: c, data } = src;
  const nc = c <= 2 ? 1 : 3; // channels computed: grey once, or R, G, B
  const sliceMs = options.sliceMs ?? 4;
  const cols = axisCoefficients(sw, plan.resizedWidth, plan.srcLeft, plan.width, options.filter);
  const rows = axisCoefficients(sh, plan.resizedHeight, plan.srcTop, plan.height, options.filter);

  // Source rows the kept output rows read (bounds are monotonic).
  const firstRow = rows.start[0]!;
  const lastRow = rows.start[plan.height - 1]! + rows.count[plan.height - 1]!;
  const rowLen = plan.width * nc;
  const tmp = new Uint8Array((lastRow - firstRow) * rowLen);

  // Horizontal pass at the kept columns, 8-bit result, a few rows per call between event-loop checks.
  let sliceStart = now();
  const pass = nc === 1 ? horizontalGrey : horizontalRgb;
  const src8 = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.length);
  for (let r = firstRow; r < lastRow; r += ROWS_PER_STEP) {
    const end = Math.min(lastRow, r + ROWS_PER_STEP);
    pass(src8, sw * c, c, r, end, firstRow, cols, plan.width, tmp);
    if (now() - sliceStart > sliceMs) {
      await yieldToLoop();
      sliceStart = now();
    }
  }

  // Vertical pass at the kept rows.
  const acc = new Int32Array(rowLen);
  const rw = rows.weights;
  const rStride = rows.stride;
  const outRowLen = plan.outWidth * 3;
  for (let yy = 0; yy < plan.height; yy++) {
    acc.fill(HALF);
    const ymin = rows.start[yy]!;
    const n = rows.count[yy]!;
    const kb = yy * rStride;
    for (let y = 0; y < n; y++) {
      const w = rw[kb + y]!;
      const base = (ymin + y - firstRow) * rowLen;
      for (let j = 0; j < rowLen; j++) acc[j] = (acc[j]! + Math.imul(tmp[base + j]!, w)) | 0;
    }
    let o = (plan.dstTop + yy) * outRowLen + plan.dstLeft * 3;
    if (nc === 1) {
      for (let j = 0; j < rowLen; j++) {
        const v = clip8(acc[j]!);
        out[o++] = v;
        out[o++] = v;
        out[o++] = v;
      }
    } else {
      for (let j = 0; j < rowLen; j++) out[o++] = clip8(acc[j]!);
    }
    if (now() - sliceStart > sliceMs) {
      await yieldToLoop();
      sliceStart = now();
    }
  }
}
