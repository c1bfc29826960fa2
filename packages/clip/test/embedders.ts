// Embedders for the video, index and indexer tests: the tiny generated model (real tensor
// contract, meaningless weights), and views of it that count what they are asked to embed.
import { createClipEmbedder, type LocalClipEmbedder } from '../src/embedder/embedder';
import type { ClipEmbedder, ImageInput } from '../src/types';
import { LAYOUT_DIR } from './models';

/** The tiny split-layout model on one CPU thread, fp32. */
export function tinyEmbedder(options: { preprocessing?: 'exact' | 'fast' } = {}): Promise<LocalClipEmbedder> {
  return createClipEmbedder({
    modelPath: LAYOUT_DIR.split,
    dtype: 'fp32',
    device: 'cpu',
    threads: { intra: 1 },
    ...options,
  });
}

/** A view of `local` that counts the images it embeds and whose dispose leaves `local` open. */
export function countingView(local: ClipEmbedder): ClipEmbedder & { images: number } {
  const e = {
    images: 0,
    embedImages: (inputs: readonly ImageInput[], o?: { signal?: AbortSignal }) => {
      e.images += inputs.length;
      return local.embedImages(inputs, o);
    },
    embedTexts: (t: readonly string[], o?: { signal?: AbortSignal }) => local.embedTexts(t, o),
    info: () => local.info(),
    dispose: async () => undefined,
  };
  return e;
}
