// A stub ClipEmbedder for provider tests: deterministic unit vectors from a label (test-only;
// the real embedder on a generated model is exercised in clip-real-model.test.ts).
import { ClipError, type ClipEmbedder, type ClipInfo, type ImageInput } from '@pmoves/clip';

export const DIMS = 8;

export function vectorFor(label: string): Float32Array {
  const seed = [...label].reduce((a, ch) => a * 31 + ch.charCodeAt(0), 7) % 100_003;
  const v = new Float32Array(DIMS);
  for (let i = 0; i < DIMS; i++) v[i] = Math.sin((i + 1) * seed);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export function cos(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s / (Math.hypot(...a) * Math.hypot(...b));
}

export interface StubEmbedder extends ClipEmbedder {
  imageCalls: number;
  imagesEmbedded: number;
  textsEmbedded: number;
}

/** "Images" are bytes `IMG:<label>` (or a file containing them); anything else fails to decode. */
export function stubEmbedder(): StubEmbedder {
  const info: ClipInfo = {
    model: 'stub-clip',
    files: {},
    requestedDevice: 'cpu',
    provider: 'stub',
    attempts: [],
    dtype: 'fp32',
    dims: DIMS,
    preprocessing: 'fast',
    loadMs: 0,
  };
  const e: StubEmbedder = {
    imageCalls: 0,
    imagesEmbedded: 0,
    textsEmbedded: 0,
    async embedImages(inputs: readonly ImageInput[]) {
      e.imageCalls++;
      e.imagesEmbedded += inputs.length;
      return inputs.map((input) => {
        const text = input instanceof Uint8Array ? Buffer.from(input).toString('latin1') : '';
        if (!text.startsWith('IMG:')) return { error: new ClipError('decode', 'not a decodable image') };
        return { embedding: vectorFor(text.slice(4)) };
      });
    },
    async embedTexts(texts: readonly string[]) {
      e.textsEmbedded += texts.length;
      return texts.map(vectorFor);
    },
    info: () => info,
    dispose: async () => undefined,
  };
  return e;
}
