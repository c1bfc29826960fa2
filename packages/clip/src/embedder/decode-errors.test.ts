// A truncated image decoded in a worker gives libvips's own reason (issue #17.7). libvips keeps one
// error buffer for the whole process, so concurrent failing decodes could read it after another
// thread had cleared it, and sharp then reported "Unknown error".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_FIXTURES, LAYOUT_DIR } from '../../test/models';
import { createClipEmbedder, type LocalClipEmbedder } from './embedder';

let embedder: LocalClipEmbedder;
beforeAll(async () => {
  embedder = await createClipEmbedder({
    modelPath: LAYOUT_DIR.split,
    dtype: 'fp32',
    device: 'cpu',
    modalities: ['image'],
    preprocessWorkers: 2,
  });
});
afterAll(() => embedder.dispose());

describe('decode errors', () => {
  it('every truncated JPEG in a concurrent batch reports its real reason', async () => {
    const photos = ['chelsea.jpg', 'astronaut.jpg', 'rocket.jpg', 'wide.jpg'].map((f) =>
      readFileSync(join(IMAGE_FIXTURES, f)),
    );
    // Cut inside the entropy-coded data (the headers are intact), at several points per photo.
    const cuts = photos.flatMap((p) =>
      [0.35, 0.5, 0.65, 0.8, 0.9, 0.97].map((f) => p.subarray(0, Math.floor(p.length * f))),
    );
    for (const mode of ['fast', 'exact'] as const) {
      const e =
        mode === 'fast'
          ? embedder
          : await createClipEmbedder({
              modelPath: LAYOUT_DIR.split,
              dtype: 'fp32',
              device: 'cpu',
              modalities: ['image'],
              preprocessWorkers: 2,
              preprocessing: 'exact',
            });
      try {
        const results = await e.embedImages(cuts);
        const messages = results.map((r) => r.error?.message ?? 'decoded');
        for (const [i, r] of results.entries()) {
          expect(r.error?.code, messages[i]).toBe('decode');
          expect(r.error!.message).not.toMatch(/unknown error/i);
          expect(r.error!.message).toMatch(/premature end|truncated/i);
        }
      } finally {
        if (e !== embedder) await e.dispose();
      }
    }
  });
});

describe('truncation', () => {
  it('names what the container structure shows', async () => {
    const { truncation } = await import('../preprocess/decode');
    const jpeg = readFileSync(join(IMAGE_FIXTURES, 'chelsea.jpg'));
    expect(truncation(jpeg)).toBeUndefined();
    expect(truncation(jpeg.subarray(0, 5000))).toMatch(/JPEG .* end-of-image marker/);
    const png = readFileSync(join(IMAGE_FIXTURES, 'coffee.png'));
    expect(truncation(png)).toBeUndefined();
    expect(truncation(png.subarray(0, png.length - 20))).toMatch(/IEND/);
    const webp = readFileSync(join(IMAGE_FIXTURES, 'chelsea-lossless.webp'));
    expect(truncation(webp)).toBeUndefined();
    expect(truncation(webp.subarray(0, 100))).toMatch(/RIFF header declares/);
  });
});
