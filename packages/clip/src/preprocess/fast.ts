// The `fast` mode: libvips (sharp) does the bulk of the downscale natively and off the main thread; the
// few output rows and columns next to the image border, where Pillow shortens and renormalises its
// filter while libvips extends the edge (up to 14 levels apart on a flat-coloured palette image), are
// recomputed with the exact resampler. Three paths, cheapest first:
// - streamed (most photos and frames: shrink under 4, border on one axis): see streamedCrop;
// - very large JPEGs (shrink >= 8, e.g. a 12 MP photo) use libjpeg's shrink-on-load instead of a full
//   decode (about 5x cheaper there), with at least a factor of two left to the resize kernel and no
//   border fix: their border rows are libvips's;
// - everything else decodes to a buffer, resizes it with libvips and fixes the borders from it.
// Upscales (images smaller than the target: cheap) and filters libvips does not have go through the
// exact resampler entirely.
import sharp from 'sharp';
import type { KernelEnum, Sharp } from 'sharp';
import type { CheckedInput, InputLimits } from './decode';
import { decodeError, decodePixels, sharpOptions } from './decode';
import type { CropPlan } from './geometry';
import type { Pixels } from './pillow-resample';
import { filterSupport, resampleCrop } from './pillow-resample';

/** libvips kernels matching Pillow's filters closely enough (measured against the reference). */
const KERNELS: Record<number, keyof KernelEnum | undefined> = {
  1: 'lanczos3',
  2: 'linear',
  3: 'cubic',
};

/**
 * Shrink factor from which the fast mode lets libjpeg shrink on load (sharp then picks 4 or 8 and leaves
 * at least 2 to the kernel). Below it, e.g. HD video frames (shrink 4.8), the full decode keeps the
 * exact border fix: letterbox bars near the edge were measured up to 12 levels off without it.
 */
const SHRINK_ON_LOAD_FROM = 8;

/** Keep only the colour channels: Pillow's convert('RGB') drops alpha without compositing. */
function withoutAlpha(src: Pixels): Pixels {
  if (src.channels === 1 || src.channels === 3) return src;
  const keep = src.channels === 2 ? 1 : 3;
  const n = src.width * src.height;
  const out = new Uint8Array(n * keep);
  const d = src.data;
  if (keep === 1) {
    for (let i = 0; i < n; i++) out[i] = d[i * 2]!;
  } else {
    for (let i = 0, p = 0, o = 0; i < n; i++, p += 4) {
      out[o++] = d[p]!;
      out[o++] = d[p + 1]!;
      out[o++] = d[p + 2]!;
    }
  }
  return { data: out, width: src.width, height: src.height, channels: keep };
}

/** Copy a libvips crop (1 or 3 channels) into the RGB output at the plan's destination. */
function place(data: Uint8Array, channels: number, plan: CropPlan, out: Uint8Array): void {
  const outRow = plan.outWidth * 3;
  for (let y = 0; y < plan.height; y++) {
    let o = (plan.dstTop + y) * outRow + plan.dstLeft * 3;
    let p = y * plan.width * channels;
    if (channels === 1) {
      for (let x = 0; x < plan.width; x++, p++) {
        const v = data[p]!;
        out[o++] = v;
        out[o++] = v;
        out[o++] = v;
      }
    } else {
      for (let x = 0; x < plan.width; x++, p += channels) {
        out[o++] = data[p]!;
        out[o++] = data[p + 1]!;
        out[o++] = data[p + 2]!;
      }
    }
  }
}

/**
 * How many kept positions at each end of an axis sit close enough to the border that Pillow and
 * libvips disagree: the filter (with a margin of one more support for libvips's own alignment)
 * reaches past the image edge.
 */
function borderBand(
  inSize: number,
  outSize: number,
  first: number,
  n: number,
  filter: number,
): [number, number] {
  const scale = inSize / outSize;
  const reach = 2 * filterSupport(filter) * Math.max(scale, 1) + 1;
  let head = 0;
  while (head < n && (first + head + 0.5) * scale - reach < 0) head++;
  let tail = 0;
  while (tail < n - head && (first + n - 1 - tail + 0.5) * scale + reach > inSize) tail++;
  return [head, tail];
}

/**
 * The parts of a crop to redo at the border: `[top, bottom]` full-width rows, then `[left, right]`
 * columns of the rows in between.
 */
function borderPlans(
  plan: CropPlan,
  [top, bottom]: [number, number],
  [left, right]: [number, number],
): CropPlan[] {
  const bands: CropPlan[] = [];
  if (top > 0) bands.push({ ...plan, height: top });
  if (bottom > 0) {
    const skip = plan.height - bottom;
    bands.push({ ...plan, srcTop: plan.srcTop + skip, dstTop: plan.dstTop + skip, height: bottom });
  }
  const midHeight = plan.height - top - bottom;
  if (midHeight > 0) {
    const mid = { ...plan, srcTop: plan.srcTop + top, dstTop: plan.dstTop + top, height: midHeight };
    if (left > 0) bands.push({ ...mid, width: left });
    if (right > 0) {
      const skip = plan.width - right;
      bands.push({ ...mid, srcLeft: plan.srcLeft + skip, dstLeft: plan.dstLeft + skip, width: right });
    }
  }
  return bands;
}

/** Recompute the border rows and columns of the crop with the exact resampler. */
async function fixBorders(src: Pixels, plan: CropPlan, out: Uint8Array, filter: number): Promise<void> {
  const rows = borderBand(src.height, plan.resizedHeight, plan.srcTop, plan.height, filter);
  const cols = borderBand(src.width, plan.resizedWidth, plan.srcLeft, plan.width, filter);
  for (const band of borderPlans(plan, rows, cols)) await resampleCrop(src, band, out, { filter });
}

/** Factor from which libvips box-shrinks before its kernel (its resize `gap` of 2, which sharp keeps). */
const LIBVIPS_BOX_SHRINK_FROM = 4;

/**
 * The common case without a full-size decode in JavaScript: an 8-bit JPEG/PNG/WebP without alpha or
 * EXIF rotation (or raw pixels), shrunk by less than 4 on both axes, whose kept window touches the
 * border on one axis only (a landscape photo keeps its full height, a portrait one its full width).
 *
 * Pass 1 streams decode → resize along the axis away from the border → extract, in libvips, so the
 * decoded image never leaves its cache-sized strips. The narrow intermediate comes back to JavaScript;
 * pass 2 is libvips's resize along the border axis, and the few rows or columns next to the border are
 * then recomputed from the intermediate with Pillow's filter along that axis alone. Pillow resizes
 * horizontally first; when the border axis is the horizontal one this runs vertically first, which
 * moves only the 8-bit rounding between the passes. Measured on the 1024×768 benchmark JPEGs
 * (three interleaved A/B runs, bench/probes/fast-ab.ts): 7–12 % less CPU for the whole `fast` path
 * (13.0–14.1 instead of 14.1–16.1 ms), and closer to Pillow (mean 0.03–0.07 levels instead of
 * 0.08–0.15), since landscape images now resize horizontally first as Pillow does.
 *
 * @returns false when the image does not qualify (the caller takes the general path)
 */
async function streamedCrop(
  checked: CheckedInput,
  plan: CropPlan,
  filter: number,
  kernel: keyof KernelEnum,
  limits: InputLimits,
  out: Uint8Array,
): Promise<boolean> {
  if (
    checked.kind === 'encoded' &&
    (!STREAMED_FORMATS.has(checked.format) ||
      checked.oriented ||
      checked.hasAlpha ||
      !checked.eightBit ||
      (checked.channels !== 1 && checked.channels !== 3))
  ) {
    return false;
  }
  const { width: srcW, height: srcH } = checked.kind === 'raw' ? checked.pixels : checked;
  if (
    srcW / plan.resizedWidth >= LIBVIPS_BOX_SHRINK_FROM ||
    srcH / plan.resizedHeight >= LIBVIPS_BOX_SHRINK_FROM
  ) {
    return false;
  }
  const [top, bottom] = borderBand(srcH, plan.resizedHeight, plan.srcTop, plan.height, filter);
  const [left, right] = borderBand(srcW, plan.resizedWidth, plan.srcLeft, plan.width, filter);
  const rowsAtBorder = top + bottom > 0;
  const colsAtBorder = left + right > 0;
  if (rowsAtBorder && colsAtBorder) return false;
  const horizontalFirst = !colsAtBorder;

  let channels: 1 | 3;
  let source: () => Sharp;
  if (checked.kind === 'raw') {
    // Raw pixels take the same two passes, so a picture gives the same crop however it arrives.
    const pixels = withoutAlpha(checked.pixels);
    channels = pixels.channels === 1 ? 1 : 3;
    source = () => rawPipeline(pixels);
  } else {
    channels = checked.channels === 1 ? 1 : 3;
    source = () => {
      const pipeline = sharp(checked.bytes, sharpOptions(limits));
      return channels === 1 ? pipeline.toColourspace('b-w') : pipeline;
    };
  }

  let mid: Pixels;
  try {
    const pipeline = source();
    const { data, info } = await (
      horizontalFirst
        ? pipeline
            .resize(plan.resizedWidth, srcH, { fit: 'fill', kernel, fastShrinkOnLoad: false })
            .extract({ left: plan.srcLeft, top: 0, width: plan.width, height: srcH })
        : pipeline
            .resize(srcW, plan.resizedHeight, { fit: 'fill', kernel, fastShrinkOnLoad: false })
            .extract({ left: 0, top: plan.srcTop, width: srcW, height: plan.height })
    )
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) return false;
    mid = { data, width: info.width, height: info.height, channels };
    const second = await (
      horizontalFirst
        ? rawPipeline(mid)
            .resize(plan.width, plan.resizedHeight, { fit: 'fill', kernel })
            .extract({ left: 0, top: plan.srcTop, width: plan.width, height: plan.height })
        : rawPipeline(mid)
            .resize(plan.resizedWidth, plan.height, { fit: 'fill', kernel })
            .extract({ left: plan.srcLeft, top: 0, width: plan.width, height: plan.height })
    )
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    place(second.data, second.info.channels, plan, out);
  } catch (err) {
    throw decodeError(checked.label, err);
  }

  // The intermediate, seen as the source of a one-axis resize: the other axis is already done.
  const onIntermediate: CropPlan = horizontalFirst
    ? { ...plan, resizedWidth: plan.width, srcLeft: 0 }
    : { ...plan, resizedHeight: plan.height, srcTop: 0 };
  const bands = horizontalFirst
    ? borderPlans(onIntermediate, [top, bottom], [0, 0])
    : borderPlans(onIntermediate, [0, 0], [left, right]);
  for (const band of bands) await resampleCrop(mid, band, out, { filter });
  return true;
}

/** Formats the streamed path decodes (8-bit, no animation to pick a frame from). */
const STREAMED_FORMATS = new Set(['jpeg', 'png', 'webp']);

/** A sharp pipeline over decoded pixels that keeps grey as one channel. */
function rawPipeline(src: Pixels): Sharp {
  const pipeline = sharp(src.data, { raw: { width: src.width, height: src.height, channels: src.channels } });
  return src.channels === 1 ? pipeline.toColourspace('b-w') : pipeline;
}

/** The `fast` crop: see the file comment for which path an image takes. */
export async function fastCrop(
  checked: CheckedInput,
  plan: CropPlan,
  filter: number,
  limits: InputLimits,
  out: Uint8Array,
): Promise<void> {
  const kernel = KERNELS[filter];
  const srcW = checked.kind === 'raw' ? checked.pixels.width : checked.width;
  const srcH = checked.kind === 'raw' ? checked.pixels.height : checked.height;
  const downscale = plan.resizedWidth < srcW && plan.resizedHeight < srcH;
  const label = checked.label;

  if (
    kernel &&
    downscale &&
    checked.kind === 'encoded' &&
    checked.format === 'jpeg' &&
    !checked.oriented &&
    !checked.hasAlpha &&
    Math.min(srcW / plan.resizedWidth, srcH / plan.resizedHeight) >= SHRINK_ON_LOAD_FROM
  ) {
    // Large JPEG: one libvips pipeline with shrink-on-load, no full-size decode at all.
    try {
      let pipeline = sharp(checked.bytes, sharpOptions(limits));
      if (checked.channels <= 2) pipeline = pipeline.toColourspace('b-w');
      const { data, info } = await pipeline
        .resize(plan.resizedWidth, plan.resizedHeight, { fit: 'fill', kernel, fastShrinkOnLoad: false })
        .extract({ left: plan.srcLeft, top: plan.srcTop, width: plan.width, height: plan.height })
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      place(data, info.channels, plan, out);
      return;
    } catch (err) {
      throw decodeError(label, err);
    }
  }

  if (kernel && downscale && (await streamedCrop(checked, plan, filter, kernel, limits, out))) return;

  const decoded = await decodePixels(checked, limits);
  if (!kernel || !downscale) {
    await resampleCrop(decoded, plan, out, { filter });
    return;
  }
  const src = withoutAlpha(decoded);
  try {
    let current = src;
    // libvips's resize box-averages first when it shrinks by 4 or more, which drifts from Pillow's
    // full-width filter (mean 0.45–0.65 levels measured); halving with the kernel first keeps it
    // near 0.2.
    while (Math.min(current.width / plan.resizedWidth, current.height / plan.resizedHeight) >= 4) {
      const width = Math.round(current.width / 2);
      const height = Math.round(current.height / 2);
      const data = await rawPipeline(current)
        .resize(width, height, { fit: 'fill', kernel })
        .raw({ depth: 'uchar' })
        .toBuffer();
      current = { data, width, height, channels: current.channels };
    }
    const { data, info } = await rawPipeline(current)
      .resize(plan.resizedWidth, plan.resizedHeight, { fit: 'fill', kernel })
      .extract({ left: plan.srcLeft, top: plan.srcTop, width: plan.width, height: plan.height })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    place(data, info.channels, plan, out);
  } catch (err) {
    throw decodeError(label, err);
  }
  await fixBorders(src, plan, out, filter);
}
