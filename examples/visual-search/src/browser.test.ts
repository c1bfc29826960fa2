// End to end in headless Chromium (the system's, driven by playwright-core, GPU disabled): the
// visual-search page built by Vite (the build fails on any Node-only module), served on 127.0.0.1
// with the tiny generated model, checked against the Node build on the same files: preprocessing
// against the reference crops, image embeddings (cosine), token ids and text embeddings, the
// WebGPU → WASM fallback and its reason, the Cache API on a second load, the missing-file error, and
// a screenshot of the ranked page kept in .artifacts/ (gitignored).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createClipEmbedder, type LocalClipEmbedder } from '@pmoves/clip';
import type { WebClipEmbedder, WebClipProgress, createWebClipEmbedder } from '@pmoves/clip/web';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelDiff } from '../../../packages/clip/test/pixels';
import { SHARED_FIXTURES, tinyClipLayouts, tinyClipModel } from '../../test/models';
import { ORT_DIST } from '../vite.config';
import { ARTIFACTS, buildPage, launchChromium, scratchDir } from './browser';
import { serveStatic, type StaticServer } from './static-server';

const IMAGES = join(SHARED_FIXTURES, 'images');
/** What the page exposes as globalThis.visualSearch (src/main.ts). */
interface PageHooks {
  visualSearch: {
    ready: Promise<boolean>;
    embedder: WebClipEmbedder;
    rankByText(q: string): Promise<{ name: string; score: number }[]>;
    api: { createWebClipEmbedder: typeof createWebClipEmbedder };
  };
}
interface Item {
  file: string;
  expect: 'match' | 'error';
  reference?: string;
}
const manifest = JSON.parse(readFileSync(join(IMAGES, 'manifest.json'), 'utf8')) as { items: Item[] };
const matches = manifest.items.filter((i) => i.expect === 'match');
const lossy = (file: string) => /\.jpe?g$/i.test(file);
const TEXTS = ['a photo of a cat', 'a rocket launch', 'A CUP OF COFFEE', 'cat '.repeat(100), ''];

let out: string;
let sizes: Record<string, number>;
let server: StaticServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let node: LocalClipEmbedder;
/** The tiny model in the other two layouts (Xenova combined, Immich). */
let layouts: string;

beforeAll(async () => {
  const model = tinyClipModel();
  layouts = tinyClipLayouts();
  out = scratchDir('visual-search');
  sizes = await buildPage(out);
  server = await serveStatic(
    { '/': out, '/ort/': ORT_DIST, '/models/clip/': model, '/layouts/': layouts, '/fixtures/': IMAGES },
    { extra: { '/gallery.json': matches.map((m) => `/fixtures/${m.file}`) } },
  );
  node = await createClipEmbedder({
    modelPath: model,
    dtype: 'fp32',
    device: 'cpu',
    preprocessing: 'exact',
    threads: { intra: 1 },
  });
  browser = await launchChromium();
  page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  const ok = await page.evaluate(() => (globalThis as unknown as PageHooks).visualSearch.ready);
  expect(ok, errors.join('\n')).toBe(true);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await node?.dispose();
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Run a function in the page with the page's embedder as `vs.embedder`. */
function inPage<T, A>(fn: (arg: A) => Promise<T>, arg: A): Promise<T> {
  return page.evaluate(fn as (arg: unknown) => Promise<T>, arg as unknown);
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

describe('the browser bundle', () => {
  it('was built without Node-only modules (the build check) and its size is reported', () => {
    const js = Object.entries(sizes).filter(([f]) => f.endsWith('.js'));
    expect(js.some(([f]) => /worker/.test(f))).toBe(true);
    const total = js.reduce((s, [, n]) => s + n, 0);
    // Sizes go to the log (README records them); the wasm binary is served separately from node_modules.
    console.log(
      `visual-search bundle: ${js.map(([f, n]) => `${f} ${(n / 1024).toFixed(1)} KiB`).join(', ')}; total ${(total / 1024).toFixed(1)} KiB`,
    );
    expect(total).toBeGreaterThan(0);
    expect(Object.keys(sizes).some((f) => f.endsWith('.wasm'))).toBe(false);
  });
});

describe('visual-search page in headless Chromium', () => {
  it('auto fell back to WASM because WebGPU is unavailable, and info() says why', async () => {
    const info = await inPage(
      async () => (globalThis as unknown as PageHooks).visualSearch.embedder.info(),
      null,
    );
    expect(info.provider).toBe('wasm');
    expect(info.requestedDevice).toBe('auto');
    const webgpu = info.attempts.find((a: { provider: string }) => a.provider === 'webgpu');
    expect(webgpu?.ok).toBe(false);
    expect(webgpu?.error).toMatch(/WebGPU is not available/);
    expect(info.attempts.at(-1)).toEqual({ provider: 'wasm', ok: true });
    expect(info.dtype).toBe('fp32');
    expect(info.layout).toBe('xenova-split');
    // Served with COOP/COEP: isolated, so WASM threads.
    expect(info.crossOriginIsolated).toBe(true);
    expect(info.threadsReason).toMatch(/cross-origin isolated/);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.selfChecks).toEqual([]);
  });

  it('preprocesses the reference images like Pillow: lossless within 1 level, JPEG within the fast contract', async () => {
    const crops = await inPage(
      async (files: string[]) => {
        const vs = (globalThis as unknown as PageHooks).visualSearch;
        const result: Record<string, string> = {};
        for (const f of files) {
          const blob = await (await fetch(`/fixtures/${f}`)).blob();
          const crop = await vs.embedder.toRgbCrop(blob);
          let s = '';
          for (let i = 0; i < crop.data.length; i += 0x8000)
            s += String.fromCharCode(...crop.data.subarray(i, i + 0x8000));
          result[f] = `${crop.width}x${crop.height}:${btoa(s)}`;
        }
        return result;
      },
      matches.map((m) => m.file),
    );
    const report: string[] = [];
    for (const item of matches) {
      const [size, b64] = crops[item.file]!.split(':');
      expect(size).toBe('224x224');
      const d = pixelDiff(
        new Uint8Array(Buffer.from(b64!, 'base64')),
        new Uint8Array(readFileSync(join(IMAGES, item.reference!))),
      );
      report.push(`${item.file} max ${d.max} mean ${d.mean.toFixed(3)}`);
      if (lossy(item.file)) {
        expect(d.max, item.file).toBeLessThanOrEqual(8);
        expect(d.mean, item.file).toBeLessThanOrEqual(0.5);
      } else {
        expect(d.max, item.file).toBeLessThanOrEqual(1);
      }
    }
    console.log(`browser crops vs reference: ${report.join('; ')}`);
  });

  it('takes Blob, HTMLImageElement, ImageBitmap, ImageData and canvas inputs to the same crop', async () => {
    const same = await inPage(async () => {
      const vs = (globalThis as unknown as PageHooks).visualSearch;
      const blob = await (await fetch('/fixtures/coffee.png')).blob();
      const img = new Image();
      img.src = URL.createObjectURL(blob);
      await img.decode();
      const bitmap = await createImageBitmap(blob);
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
      canvas.getContext('2d')!.drawImage(img, 0, 0);
      const imageData = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      const crops = [];
      for (const input of [blob, img, bitmap, imageData, canvas])
        crops.push((await vs.embedder.toRgbCrop(input)).data);
      const ref = crops[0]!;
      return crops.map((c: Uint8Array) => c.length === ref.length && c.every((v, i) => v === ref[i]));
    }, null);
    expect(same).toEqual([true, true, true, true, true]);
  });

  it('gives the Node build image embeddings (cosine ≥ 0.999)', async () => {
    const files = matches.map((m) => m.file);
    const web = await inPage(async (names: string[]) => {
      const vs = (globalThis as unknown as PageHooks).visualSearch;
      const blobs = await Promise.all(names.map(async (f) => (await fetch(`/fixtures/${f}`)).blob()));
      const results = await vs.embedder.embedImages(blobs);
      return results.map((r: { embedding?: Float32Array; error?: Error }) =>
        r.embedding ? Array.from(r.embedding) : r.error!.message,
      );
    }, files);
    const ref = await node.embedImages(files.map((f) => join(IMAGES, f)));
    const report: string[] = [];
    files.forEach((f, i) => {
      expect(Array.isArray(web[i]), `${f}: ${String(web[i])}`).toBe(true);
      const c = cosine(web[i] as number[], ref[i]!.embedding!);
      report.push(`${f} ${c.toFixed(6)}`);
      expect(c, f).toBeGreaterThanOrEqual(0.999);
    });
    console.log(`browser vs Node image embeddings: ${report.join('; ')}`);
  });

  it('gives the Node build token ids and text embeddings', async () => {
    const web = await inPage(async (texts: string[]) => {
      const vs = (globalThis as unknown as PageHooks).visualSearch;
      const ids = [];
      for (const t of texts) ids.push(await vs.embedder.tokenize(t));
      const vectors = await vs.embedder.embedTexts(texts);
      return { ids, vectors: vectors.map((v: Float32Array) => Array.from(v)) };
    }, TEXTS);
    const vectors = await node.embedTexts(TEXTS);
    for (let i = 0; i < TEXTS.length; i++) {
      expect(web.ids[i]).toEqual(await node.tokenize(TEXTS[i]!));
      // Same ids, same graph, WASM vs native CPU kernels: equal up to float rounding.
      const v = web.vectors[i]!;
      expect(v).toHaveLength(vectors[i]!.length);
      expect(Math.max(...v.map((x: number, k: number) => Math.abs(x - vectors[i]![k]!)))).toBeLessThanOrEqual(
        1e-5,
      );
    }
    expect(web.ids[3]).toHaveLength(77);
  });

  it('ranks the thumbnails for a query, shows device and dtype, and keeps a screenshot', async () => {
    const ranked = await inPage(
      async (q: string) => (globalThis as unknown as PageHooks).visualSearch.rankByText(q),
      'a photo of a cat',
    );
    expect(ranked).toHaveLength(matches.length);
    // The page's order is the cosine order of the Node build's embeddings.
    const [q] = await node.embedTexts(['a photo of a cat']);
    const ref = await node.embedImages(matches.map((m) => join(IMAGES, m.file)));
    const order = matches
      .map((m, i) => ({ name: m.file, score: cosine(q!, ref[i]!.embedding!) }))
      .sort((a, b) => b.score - a.score);
    expect(ranked[0]?.name).toBe(order[0]!.name);
    const status = await page.textContent('#status');
    expect(status).toMatch(/device: wasm \(asked auto\)/);
    expect(status).toMatch(/dtype: fp32/);
    const scores = await page.$$eval('figure .score', (els) => els.map((e) => e.textContent));
    expect(scores.every((s) => /^-?\d\.\d{4}$/.test(s ?? ''))).toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = await page.screenshot({ path: join(ARTIFACTS, 'visual-search.png'), fullPage: true });
    expect(shot.length).toBeGreaterThan(1000);
  });

  it('downloads with progress events, loads from the Cache API on a second visit, and names a missing file', async () => {
    const onnxGets = () =>
      server.requests.filter((r) => r.path.endsWith('.onnx') && r.method === 'GET').length;
    const load = () =>
      inPage(async () => {
        const { createWebClipEmbedder } = (globalThis as unknown as PageHooks).visualSearch.api;
        const events: WebClipProgress[] = [];
        const e = await createWebClipEmbedder({
          modelUrl: '/models/clip/',
          wasmPaths: '/ort/',
          device: 'wasm',
          onProgress: (ev: WebClipProgress) => events.push(ev),
        });
        const info = e.info();
        await e.dispose();
        return { events, info };
      }, null);
    await inPage(async () => caches.delete('pmoves-clip-models'), null);
    const gets = onnxGets();
    const first = await load();
    expect(onnxGets()).toBe(gets + 2);
    const vision = first.events.filter((e) => e.file === 'onnx/vision_model.onnx');
    expect(vision.every((e) => !e.cached)).toBe(true);
    expect(vision.at(-1)).toMatchObject({ done: true });
    expect(vision.at(-1)!.loaded).toBe(vision.at(-1)!.total);
    expect(vision.some((e) => !e.done && e.loaded > 0)).toBe(true);

    const second = await load();
    expect(onnxGets()).toBe(gets + 2);
    const done = second.events.filter((e) => e.done);
    expect(done.map((e) => e.file)).toEqual(
      expect.arrayContaining(['onnx/vision_model.onnx', 'onnx/text_model.onnx', 'tokenizer.json']),
    );
    expect(done.every((e) => e.cached)).toBe(true);
    expect(second.info.attempts).toEqual([{ provider: 'wasm', ok: true }]);

    const missing = await inPage(async () => {
      const { createWebClipEmbedder } = (globalThis as unknown as PageHooks).visualSearch.api;
      try {
        await createWebClipEmbedder({
          modelUrl: '/models/clip/',
          wasmPaths: '/ort/',
          device: 'wasm',
          dtype: 'fp16',
        });
        return 'loaded';
      } catch (err) {
        return `${(err as { code?: string }).code}: ${(err as Error).message}`;
      }
    }, null);
    expect(missing).toMatch(/^not-found: /);
    expect(missing).toMatch(/onnx\/vision_model_fp16\.onnx/);
    expect(missing).toMatch(/onnx\/text_model_fp16\.onnx/);
  });

  it.each(['xenova-combined', 'immich'] as const)(
    'finds the %s layout by probing and matches the Node build on it',
    async (layout) => {
      const dir = join(layouts, layout);
      const ref = await createClipEmbedder({
        modelPath: dir,
        dtype: 'fp32',
        device: 'cpu',
        preprocessing: 'exact',
      });
      try {
        const files = ['coffee.png', 'chelsea.jpg'];
        const web = await inPage(
          async ({ url, files }: { url: string; files: string[] }) => {
            const { createWebClipEmbedder } = (globalThis as unknown as PageHooks).visualSearch.api;
            const t0 = performance.now();
            const e = await createWebClipEmbedder({
              modelUrl: url,
              wasmPaths: '/ort/',
              device: 'wasm',
              cache: false,
            });
            const t1 = performance.now();
            const blobs = await Promise.all(files.map(async (f) => (await fetch(`/fixtures/${f}`)).blob()));
            const images = (await e.embedImages(blobs)).map((r) => Array.from(r.embedding ?? []));
            const texts = (await e.embedTexts(['a photo of a cat'])).map((v) => Array.from(v));
            const info = e.info();
            await e.dispose();
            return { images, texts, layout: info.layout, ms: [t1 - t0, performance.now() - t1] };
          },
          { url: `/layouts/${layout}/`, files },
        );
        console.log(`${layout}: browser load ${web.ms[0]!.toFixed(0)} ms, embed ${web.ms[1]!.toFixed(0)} ms`);
        expect(web.layout).toBe(layout);
        const images = await ref.embedImages(files.map((f) => join(IMAGES, f)));
        files.forEach((f, i) =>
          expect(cosine(web.images[i]!, images[i]!.embedding!), f).toBeGreaterThanOrEqual(0.999),
        );
        const [text] = await ref.embedTexts(['a photo of a cat']);
        expect(Math.max(...web.texts[0]!.map((x, k) => Math.abs(x - text![k]!)))).toBeLessThanOrEqual(1e-5);
      } finally {
        await ref.dispose();
      }
    },
  );
});
