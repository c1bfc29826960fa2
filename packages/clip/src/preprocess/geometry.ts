// Output geometry of CLIPImageProcessor (transformers): the resize target and the centre-crop window,
// including its zero padding when the resized image is smaller than the crop.
import type { PreprocessorConfig } from './config';

/** Where the kept pixels come from: the resized image's window and where it lands in the output. */
export interface CropPlan {
  /** Size of the whole resized image (before cropping). */
  resizedWidth: number;
  resizedHeight: number;
  /** Output (crop) size; pixels outside the source window stay 0, as transformers pads with zeros. */
  outWidth: number;
  outHeight: number;
  /** Window of the resized image that is kept: columns [srcLeft, srcLeft+width), rows likewise. */
  srcLeft: number;
  srcTop: number;
  width: number;
  height: number;
  /** Where that window lands in the output. */
  dstLeft: number;
  dstTop: number;
}

/** transformers' get_resize_output_image_size for CLIP: `[width, height]` after the resize step. */
export function resizedSize(config: PreprocessorConfig, width: number, height: number): [number, number] {
  if (!config.do_resize) return [width, height];
  const size = config.size;
  if ('shortest_edge' in size) {
    const s = size.shortest_edge;
    // Python: new_long = int(s * long / short), float division then truncation.
    if (width <= height) return [s, Math.trunc((s * height) / width)];
    return [Math.trunc((s * width) / height), s];
  }
  return [size.width, size.height];
}

/** Python's floor division. */
const floorDiv2 = (n: number): number => Math.floor(n / 2);

/** transformers' center_crop (offsets `(size - crop) // 2`, zero padding when the image is smaller). */
export function planCrop(config: PreprocessorConfig, width: number, height: number): CropPlan {
  const [rw, rh] = resizedSize(config, width, height);
  if (!config.do_center_crop) {
    return {
      resizedWidth: rw,
      resizedHeight: rh,
      outWidth: rw,
      outHeight: rh,
      srcLeft: 0,
      srcTop: 0,
      width: rw,
      height: rh,
      dstLeft: 0,
      dstTop: 0,
    };
  }
  const ch = config.crop_size.height;
  const cw = config.crop_size.width;
  const axis = (orig: number, crop: number) => {
    const start = floorDiv2(orig - crop);
    if (start >= 0) return { src: start, dst: 0, len: crop };
    // transformers centres the image in a zero canvas (pad = ceil((crop - orig) / 2)) and then crops at
    // start + pad, which is always 0 since start = -pad: the whole image lands at offset `pad`.
    return { src: 0, dst: Math.ceil((crop - orig) / 2), len: orig };
  };
  const x = axis(rw, cw);
  const y = axis(rh, ch);
  return {
    resizedWidth: rw,
    resizedHeight: rh,
    outWidth: cw,
    outHeight: ch,
    srcLeft: x.src,
    srcTop: y.src,
    width: x.len,
    height: y.len,
    dstLeft: x.dst,
    dstTop: y.dst,
  };
}
