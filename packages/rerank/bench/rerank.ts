// Rerank latency benchmark (a script, not a timed test): `npm run bench -w @pmoves/rerank`.
//
// A. 100 candidates whose image embeddings are already cached: the time of the CLIP scoring itself
//    (cache lookups, cosines, sort) — target p50 < 2 ms — and of the whole chain call.
// B. 32 candidates with cold thumbnails served from a loopback server (allowed explicitly): fetch,
//    decode, preprocess and embed, with the model already loaded.
//
// The model is the generated ViT-B/32-dimension CLIP (deterministic test weights, real sizes and ops;
// never a real analysis): reused from packages/clip/.models/vit-b32 when its stamp matches, otherwise
// generated under packages/rerank/.models/vit-b32 (gitignored).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClipEmbedder } from '@pmoves/clip';
import sharp from 'sharp';
import { ensureModels, VIT_B32_DIMS } from '../../clip/scripts/generate-models';
import { createClipProvider, createReranker, type Candidate } from '../src';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(here, '../../../../shared/fixtures');
const ITER_WARM = Number(process.env.BENCH_WARM_ITERATIONS ?? 300);
const ITER_COLD = Number(process.env.BENCH_COLD_ITERATIONS ?? 5);

function modelDir(): string {
  const opts = {
    dims: VIT_B32_DIMS,
    layouts: ['xenova-split' as const],
    dtypes: ['fp32' as const, 'q8' as const],
    fixturesDir: join(FIXTURES, 'clip-vit-b32'),
  };
  const stamp = JSON.stringify({ v: 1, ...opts, outDir: undefined });
  const shared = resolve(here, '../../clip/.models/vit-b32');
  const sharedStamp = join(shared, 'stamp.json');
  if (existsSync(sharedStamp) && readFileSync(sharedStamp, 'utf8') === stamp)
    return join(shared, 'xenova-split');
  const own = resolve(here, '../.models/vit-b32');
  const ownStamp = join(own, 'stamp.json');
  if (!existsSync(ownStamp) || readFileSync(ownStamp, 'utf8') !== stamp) {
    console.error(`generating the ViT-B/32-dimension test model under ${own} …`);
  }
  ensureModels({ outDir: own, ...opts });
  return join(own, 'xenova-split');
}

function percentiles(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), min: s[0]!, max: s.at(-1)! };
}

const round = (o: Record<string, number>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, +v.toFixed(3)]));

async function thumbnails(count: number): Promise<Buffer[]> {
  // Distinct 320×240 JPEG thumbnails from the shared photos (hue-rotated so every one differs).
  const photos = ['chelsea.jpg', 'astronaut.jpg', 'coffee.png', 'rocket.jpg', 'camera.png', 'wide.jpg'];
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const src = join(FIXTURES, 'images', photos[i % photos.length]!);
    out.push(
      await sharp(src)
        .rotate()
        .resize(320, 240, { fit: 'cover' })
        .modulate({ hue: (i * 7) % 360 })
        .jpeg({ quality: 80 })
        .toBuffer(),
    );
  }
  return out;
}

async function main() {
  const dir = modelDir();
  const thumbs = await thumbnails(100 + 32 * ITER_COLD);
  const server = createServer((req, res) => {
    const i = Number(req.url?.slice(1).split('.')[0]);
    const body = thumbs[i];
    if (!body) return void res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': 'image/jpeg', etag: `"t${i}"`, 'content-length': body.length })
      .end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fetchOptions = { allowedHosts: ['127.0.0.1'] };

  const t0 = performance.now();
  const embedder = await createClipEmbedder({ modelPath: dir, device: 'cpu', threads: { intra: 2 } });
  const loadMs = performance.now() - t0;
  const info = embedder.info();
  console.error(
    `model loaded: ${info.dtype} on ${info.provider}, ${info.dims} dims, ${loadMs.toFixed(0)} ms`,
  );

  // A. cached image embeddings.
  const warmCandidates: Candidate[] = Array.from({ length: 100 }, (_, i) => ({
    id: `c${i}`,
    image: `${base}/${i}.jpg`,
    metadata: { asset_id: `a${i}` },
  }));
  const provider = createClipProvider({ embedder, fetchOptions });
  const chain = createReranker({ providers: [provider] });
  const warmStart = performance.now();
  await chain.rerank({ query: 'a photo of a cat', candidates: warmCandidates });
  const firstFillMs = performance.now() - warmStart;
  const scoring: number[] = [];
  const chainMs: number[] = [];
  const controller = new AbortController();
  for (let i = 0; i < ITER_WARM; i++) {
    const s = performance.now();
    await provider.rerank({
      query: 'a photo of a cat',
      candidates: warmCandidates,
      signal: controller.signal,
    });
    scoring.push(performance.now() - s);
    const c = performance.now();
    await chain.rerank({ query: 'a photo of a cat', candidates: warmCandidates });
    chainMs.push(performance.now() - c);
  }
  // Precomputed embeddings carried on the candidates (as from a vector store), no cache involved.
  const vectors = (await embedder.embedImages(thumbs.slice(0, 100).map((b) => new Uint8Array(b)))).map((r) =>
    Array.from(r.embedding!),
  );
  const precomputed: Candidate[] = vectors.map((embedding, i) => ({ id: `p${i}`, embedding }));
  const precomputedMs: number[] = [];
  for (let i = 0; i < ITER_WARM; i++) {
    const s = performance.now();
    await provider.rerank({ query: 'a photo of a cat', candidates: precomputed, signal: controller.signal });
    precomputedMs.push(performance.now() - s);
  }

  // B. cold thumbnails: a fresh provider (empty cache) per iteration, new URLs each time.
  const cold: number[] = [];
  for (let it = 0; it < ITER_COLD; it++) {
    const fresh = createClipProvider({ embedder, fetchOptions });
    const r = createReranker({ providers: [fresh] });
    const candidates = Array.from({ length: 32 }, (_, i) => ({
      id: `k${i}`,
      image: `${base}/${100 + it * 32 + i}.jpg`,
    }));
    const s = performance.now();
    const res = await r.rerank({ query: 'a photo of a cat', candidates });
    cold.push(performance.now() - s);
    if (res.hits.some((h) => h.score === null))
      throw new Error(`cold run had unscored candidates: ${res.warnings}`);
    await fresh.dispose();
  }

  await provider.dispose();
  await embedder.dispose();
  server.close();

  const coldP = percentiles(cold);
  const results = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      memGiB: +(totalmem() / 2 ** 30).toFixed(1),
      loadavg: loadavg(),
    },
    node: process.version,
    model: {
      dims: info.dims,
      dtype: info.dtype,
      provider: info.provider,
      loadMs: +loadMs.toFixed(0),
      files: info.files,
    },
    cached100: {
      firstFillMs: +firstFillMs.toFixed(1),
      providerScoringMs: round(percentiles(scoring)),
      chainMs: round(percentiles(chainMs)),
      precomputedEmbeddingsMs: round(percentiles(precomputedMs)),
    },
    cold32: { totalMs: round(coldP), perImageMsP50: +(coldP.p50 / 32).toFixed(2) },
  };
  await mkdir(resolve(here, '../.bench'), { recursive: true });
  await writeFile(resolve(here, '../.bench/results.json'), JSON.stringify(results, null, 2));
  console.log(JSON.stringify(results, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
