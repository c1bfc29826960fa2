// Fidelity against the Hugging Face reference crops in ../shared/fixtures/images (Pillow 9.4 +
// CLIPImageProcessor), for every item of its manifest, in both modes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { pixelDiff } from '../../test/pixels';
import { ClipError } from '../errors';
import { DEFAULT_PREPROCESSOR_CONFIG, createPreprocessor, parsePreprocessorConfig } from './index';

// Decoding and resampling real photos: generous per-test time for a shared, busy 2-core machine.
vi.setConfig({ testTimeout: 60_000 });

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const imagesDir = path.resolve(repoRoot, '../shared/fixtures/images');
const configPath = path.resolve(repoRoot, '../shared/fixtures/clip-vit-b32/preprocessor_config.json');

if (!existsSync(path.join(imagesDir, 'manifest.json'))) {
  throw new Error(
    `Reference fixtures missing: expected ${imagesDir}/manifest.json (the shared fixtures folder next to the repository)`,
  );
}

const manifest = z
  .object({
    crop: z.tuple([z.number(), z.number(), z.literal(3)]),
    mean: z.array(z.number()).length(3),
    std: z.array(z.number()).length(3),
    items: z.array(
      z.object({ file: z.string(), expect: z.enum(['match', 'error']), reference: z.string().optional() }),
    ),
  })
  .parse(JSON.parse(readFileSync(path.join(imagesDir, 'manifest.json'), 'utf8')));

const matches = manifest.items.filter((i) => i.expect === 'match');
const errors = manifest.items.filter((i) => i.expect === 'error');

const diff = pixelDiff;

const reference = (file: string) => new Uint8Array(readFileSync(path.join(imagesDir, file)));
const config = parsePreprocessorConfig(JSON.parse(readFileSync(configPath, 'utf8')));

describe('fixtures manifest', () => {
  it('has the items this suite relies on', () => {
    expect(matches.length).toBeGreaterThanOrEqual(12);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(manifest.crop).toEqual([224, 224, 3]);
    expect(config.image_mean).toEqual(manifest.mean);
    expect(config.image_std).toEqual(manifest.std);
  });
});

describe.each(['exact', 'fast'] as const)('%s mode against the reference crops', (mode) => {
  const pp = createPreprocessor(config, { mode });
  const limit = mode === 'exact' ? { max: 1, mean: 1 } : { max: 8, mean: 0.5 };

  it.each(matches)('$file', async (item) => {
    const crop = await pp.toRgbCrop(path.join(imagesDir, item.file));
    expect([crop.width, crop.height]).toEqual([224, 224]);
    const d = diff(crop.data, reference(item.reference!));
    expect(d.max, `max level difference on ${item.file}`).toBeLessThanOrEqual(limit.max);
    expect(d.mean, `mean level difference on ${item.file}`).toBeLessThanOrEqual(limit.mean);
  });

  it.each(errors)('$file gives a decode error', async (item) => {
    const err = await pp.toRgbCrop(path.join(imagesDir, item.file)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClipError);
    expect((err as ClipError).code).toBe('decode');
  });

  it('processes the whole manifest concurrently; bad items do not disturb the others', async () => {
    const results = await Promise.allSettled(
      manifest.items.map((item) => pp.toRgbCrop(readFileSync(path.join(imagesDir, item.file)))),
    );
    results.forEach((r, i) => {
      const item = manifest.items[i]!;
      if (item.expect === 'error') {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ClipError);
      } else {
        expect(r.status).toBe('fulfilled');
        const d = diff(
          (r as PromiseFulfilledResult<{ data: Uint8Array }>).value.data,
          reference(item.reference!),
        );
        expect(d.max).toBeLessThanOrEqual(limit.max);
      }
    });
  });
});

describe('exact mode is bit-exact', () => {
  it('reproduces every reference crop with 0 levels of difference', async () => {
    // Stronger than the ≤ 1 level contract: the fixed-point resampler is Pillow's, so any drift shows.
    const pp = createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode: 'exact' });
    for (const item of matches) {
      const crop = await pp.toRgbCrop(path.join(imagesDir, item.file));
      expect(diff(crop.data, reference(item.reference!)).max, item.file).toBe(0);
    }
  });
});
