import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClipError, createClipEmbedder, createClipEmbedderFromEnv, type LocalClipEmbedder } from '../index';
import { LAYOUT_DIR } from '../../test/models';

const tmp = mkdtempSync(join(tmpdir(), 'clip-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function withEmbedder<T>(
  options: Parameters<typeof createClipEmbedder>[0],
  fn: (e: LocalClipEmbedder) => Promise<T>,
): Promise<T> {
  const e = await createClipEmbedder({ device: 'cpu', ...options });
  try {
    return await fn(e);
  } finally {
    await e.dispose();
  }
}

async function rejection(p: Promise<unknown>): Promise<ClipError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ClipError);
    return err as ClipError;
  }
  throw new Error('expected a rejection');
}

describe('model layouts × dtypes', () => {
  const cases = [
    { layout: 'split', dir: LAYOUT_DIR.split, files: ['onnx/vision_model', 'onnx/text_model'] },
    { layout: 'combined', dir: LAYOUT_DIR.combined, files: ['onnx/model', 'onnx/model'] },
    { layout: 'immich', dir: LAYOUT_DIR.immich, files: ['visual/model', 'textual/model'] },
  ] as const;
  const suffix = { fp32: '', fp16: '_fp16', q8: '_quantized' } as const;
  for (const c of cases) {
    for (const dtype of ['fp32', 'fp16', 'q8'] as const) {
      it(`${c.layout} ${dtype} loads and embeds text`, async () => {
        await withEmbedder({ modelPath: c.dir, dtype }, async (e) => {
          const [a, b] = await e.embedTexts(['a photo of a cat', 'a dog']);
          const info = e.info();
          expect(info.dtype).toBe(dtype);
          expect(info.provider).toBe('cpu');
          expect(info.dims).toBe(16);
          const ran = Object.values(info.files).map((f) => f!.replace(/\\/g, '/'));
          expect(ran.some((f) => f.endsWith(`${c.files[1]}${suffix[dtype]}.onnx`))).toBe(true);
          expect(ran.some((f) => f.endsWith(`${c.files[0]}${suffix[dtype]}.onnx`))).toBe(true);
          expect(a!.length).toBe(16);
          expect(Math.hypot(...a!)).toBeCloseTo(1, 5);
          expect(Math.hypot(...b!)).toBeCloseTo(1, 5);
          expect(Array.from(a!)).not.toEqual(Array.from(b!));
          expect(info.loadMs).toBeGreaterThan(0);
        });
      });
    }
  }

  it('defaults to the quantized file on CPU, and to fp32 when there is none', async () => {
    await withEmbedder({ modelPath: LAYOUT_DIR.split }, async (e) => {
      expect(e.info().dtype).toBe('q8');
      expect(e.info().files.vision).toMatch(/vision_model_quantized\.onnx$/);
    });
    const dir = join(tmp, 'no-q8');
    cpSync(LAYOUT_DIR.split, dir, { recursive: true, filter: (src) => !src.includes('_quantized') });
    await withEmbedder({ modelPath: dir }, async (e) => {
      expect(e.info().dtype).toBe('fp32');
      expect(e.info().files.vision).toMatch(/vision_model\.onnx$/);
    });
    const err = await rejection(createClipEmbedder({ device: 'cpu', modelPath: dir, dtype: 'q8' }));
    expect(err.code).toBe('not-found');
    expect(err.message).toContain('onnx/vision_model_quantized.onnx');
  });
});

describe('graph metadata', () => {
  it('reads names, id dtype, attention_mask and fixed/dynamic dims from the sessions', async () => {
    const { loadRole, resolveSource } = await import('./load');
    const { InferenceHost } = await import('./inference-host');
    const host = await InferenceHost.start();
    const req = { device: 'cpu' as const, fallback: false, session: {}, dtype: 'fp32' as const };
    try {
      const split = resolveSource({ model: 'x', modelPath: LAYOUT_DIR.split });
      const sv = await loadRole(host, split, 'vision', req);
      expect(sv.vision).toEqual({
        input: 'pixel_values',
        inputType: 'float32',
        fixedBatch: undefined,
        size: [224, 224],
        output: 'image_embeds',
        dims: 16,
      });
      const st = await loadRole(host, split, 'text', req);
      expect(st.text).toMatchObject({
        input: 'input_ids',
        idType: 'int64',
        attentionMask: undefined,
        fixedLength: undefined,
      });
      const combined = resolveSource({ model: 'x', modelPath: LAYOUT_DIR.combined });
      const c = await loadRole(host, combined, 'combined', req);
      expect(c.text).toMatchObject({
        input: 'input_ids',
        attentionMask: 'attention_mask',
        maskType: 'int64',
        output: 'text_embeds',
      });
      expect(c.vision).toMatchObject({ input: 'pixel_values', output: 'image_embeds' });
      const immich = resolveSource({ model: 'x', modelPath: LAYOUT_DIR.immich });
      const iv = await loadRole(host, immich, 'vision', req);
      expect(iv.vision).toMatchObject({ input: 'image', fixedBatch: 1, output: 'embedding' });
      const it_ = await loadRole(host, immich, 'text', req);
      expect(it_.text).toMatchObject({
        input: 'text',
        idType: 'int32',
        fixedBatch: 1,
        fixedLength: 77,
        output: 'embedding',
      });
      expect(immich.contextLength).toBe(77);
      expect(immich.preprocessorConfig).toMatchObject({ size: { shortest_edge: 224 }, resample: 3 });
    } finally {
      await host.close();
    }
  });

  it('refuses graphs that output only un-projected hidden states', async () => {
    for (const modality of ['image', 'text'] as const) {
      const err = await rejection(
        createClipEmbedder({
          device: 'cpu',
          modelPath: LAYOUT_DIR.hiddenOnly,
          modalities: [modality],
        }),
      );
      expect(err.code).toBe('model');
      expect(err.message).toMatch(/only un-projected hidden states/);
      expect(err.message).toMatch(/last_hidden_state, pooler_output/);
    }
  });
});

describe('model sources', () => {
  it('lists every missing file and the directory looked in', async () => {
    const dir = join(tmp, 'broken');
    cpSync(LAYOUT_DIR.split, dir, { recursive: true });
    rmSync(join(dir, 'tokenizer.json'));
    rmSync(join(dir, 'onnx', 'text_model.onnx'));
    rmSync(join(dir, 'preprocessor_config.json'));
    const err = await rejection(createClipEmbedder({ device: 'cpu', modelPath: dir, dtype: 'fp32' }));
    expect(err.code).toBe('not-found');
    expect(err.message).toContain('onnx/text_model.onnx');
    expect(err.message).toContain('tokenizer.json');
    expect(err.message).toContain('preprocessor_config.json');
    expect(err.message).toContain(dir);
  });

  it('names every place looked for a model id that is nowhere', async () => {
    const err = await rejection(
      createClipEmbedder({
        model: 'nobody/no-such-clip',
        cacheDir: join(tmp, 'cache'),
        hubCache: join(tmp, 'hubcache'),
      }),
    );
    expect(err.code).toBe('not-found');
    for (const place of [
      join(tmp, 'cache', 'nobody/no-such-clip'),
      join(tmp, 'cache'),
      join(tmp, 'hubcache'),
    ]) {
      expect(err.message).toContain(place);
    }
    expect(err.message).toContain('CLIP_AUTO_DOWNLOAD');
  });

  it('finds a model in a mounted Hugging Face cache via refs/main (HF_HOME from the environment)', async () => {
    const repo = join(tmp, 'hf', 'hub', 'models--openai--clip-vit-base-patch32');
    const snap = join(repo, 'snapshots', '0123abcd');
    mkdirSync(join(snap, 'onnx'), { recursive: true });
    mkdirSync(join(repo, 'snapshots', 'ffff0000'), { recursive: true }); // an older snapshot, not referenced
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), '0123abcd\n');
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json', 'config.json']) {
      symlinkSync(join(LAYOUT_DIR.split, f), join(snap, f));
    }
    for (const f of ['vision_model.onnx', 'text_model.onnx'])
      symlinkSync(join(LAYOUT_DIR.split, 'onnx', f), join(snap, 'onnx', f));
    const e = await createClipEmbedderFromEnv({
      CLIP_MODEL: 'openai/clip-vit-base-patch32',
      HF_HOME: join(tmp, 'hf'),
      CLIP_DEVICE: 'cpu',
    });
    try {
      expect(e.info().files.vision).toBe(join(snap, 'onnx', 'vision_model.onnx'));
      expect(e.info().dtype).toBe('fp32');
      expect((await e.embedTexts(['hi']))[0]!.length).toBe(16);
    } finally {
      await e.dispose();
    }
  });

  it('createClipEmbedderFromEnv reads CLIP_MODEL_PATH / CLIP_DTYPE and names every bad variable', async () => {
    const e = await createClipEmbedderFromEnv({ CLIP_MODEL_PATH: LAYOUT_DIR.immich, CLIP_DTYPE: 'fp16' });
    try {
      expect(e.info().files.vision).toMatch(/visual[\\/]model_fp16\.onnx$/);
    } finally {
      await e.dispose();
    }
    const err = await rejection(
      createClipEmbedderFromEnv({
        CLIP_MODEL_PATH: LAYOUT_DIR.split,
        CLIP_DEVICE: 'gpu',
        CLIP_DEVICE_FALLBACK: 'ture',
        CLIP_MAX_BATCH_BUFFERS: '0',
      }),
    );
    expect(err.code).toBe('config');
    expect(err.issues.map((i) => i.variable)).toEqual([
      'CLIP_DEVICE',
      'CLIP_DEVICE_FALLBACK',
      'CLIP_MAX_BATCH_BUFFERS',
    ]);
    for (const v of ['CLIP_DEVICE', 'CLIP_DEVICE_FALLBACK', 'CLIP_MAX_BATCH_BUFFERS'])
      expect(err.message).toContain(v);
    const bad = await rejection(
      createClipEmbedder({ modelPath: LAYOUT_DIR.split, batchSize: 0, maxBatchBuffers: -1 }),
    );
    expect(bad.code).toBe('invalid-input');
    expect(bad.message).toContain('batchSize');
    expect(bad.message).toContain('maxBatchBuffers');
  });
});

describe('execution providers', () => {
  it('auto lands on CPU here and records the failed accelerator attempt with its error', async () => {
    await withEmbedder({ modelPath: LAYOUT_DIR.split, device: 'auto' }, async (e) => {
      const info = e.info();
      expect(info.requestedDevice).toBe('auto');
      expect(info.provider).toBe('cpu');
      expect(info.attempts.at(-1)).toEqual({ provider: 'cpu', ok: true });
      if (process.platform === 'linux') {
        expect(info.attempts[0]).toMatchObject({ provider: 'cuda', ok: false });
        expect(info.attempts[0]!.error).toBeTruthy();
      }
    });
  });

  it('explicit cuda without fallback throws a clear device error', async () => {
    const err = await rejection(createClipEmbedder({ modelPath: LAYOUT_DIR.split, device: 'cuda' }));
    expect(err.code).toBe('device');
    expect(err.message).toMatch(/device "cuda"/);
    expect(err.message).toMatch(/fallback: true \(CLIP_DEVICE_FALLBACK=1\)/);
    // The failed CUDA attempt points at the README's GPU section and the install switch.
    expect(err.message).toMatch(/"GPU \(CUDA\)" in the @pmoves\/clip README/);
    expect(err.message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  });

  it('explicit cuda with fallback: true falls back to CPU', async () => {
    await withEmbedder({ modelPath: LAYOUT_DIR.split, device: 'cuda', fallback: true }, async (e) => {
      const info = e.info();
      expect(info.provider).toBe('cpu');
      expect(info.attempts.map((a) => [a.provider, a.ok])).toEqual([
        ['cuda', false],
        ['cpu', true],
      ]);
      expect((await e.embedTexts(['x'])).length).toBe(1);
    });
  });
});
