// A/B of the warm rerank path (a script, not a timed test): this tree against a base revision, in
// one run, interleaved, so that a noisy shared machine affects both alike. Compares the ratio.
//
//   npm run bench:ab -w @pmoves/rerank -- <rev>     (default rev: main)
//
// The base revision's `packages/rerank/src` is extracted with `git archive` under `.bench/` and
// imported next to this tree's `src`. Both score 100 URL candidates whose embeddings are cached
// (the repeat-query path: cache lookups, 512-d dot products, chain routing, policies, sort) with
// the same stub embedder (deterministic 512-d vectors; the cached path never reaches a model).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const rev = process.argv[2] ?? 'main';
const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 400);
const DIMS = 512;

function vector(seed: number): Float32Array {
  const v = new Float32Array(DIMS);
  for (let i = 0; i < DIMS; i++) v[i] = Math.sin((i + 1) * (seed + 1));
  return v;
}

const stub = {
  async embedImages(inputs: readonly Uint8Array[]) {
    return inputs.map((b) => ({ embedding: vector(Number(Buffer.from(b).toString('latin1').slice(4))) }));
  },
  async embedTexts(texts: readonly string[]) {
    return texts.map((t) => vector(t.length));
  },
  info: () => ({ model: 'stub', provider: 'stub' }),
  dispose: async () => undefined,
};

type Variant = { name: string; rerank: () => Promise<unknown>; score: () => Promise<unknown> };

async function variant(
  name: string,
  srcDir: string,
  candidates: unknown[],
  fetchOptions: object,
): Promise<Variant> {
  const m = await import(pathToFileURL(join(srcDir, 'index.ts')).href);
  const provider = m.createClipProvider({ embedder: stub, fetchOptions });
  const chain = m.createReranker({ providers: [provider] });
  const request = { query: 'a photo of a cat', candidates };
  await chain.rerank(request); // fills the cache
  const signal = new AbortController().signal;
  return { name, rerank: () => chain.rerank(request), score: () => provider.rerank({ ...request, signal }) };
}

const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

async function main() {
  const base = resolve(here, '../.bench', `ab-${rev.replace(/[^\w.-]/g, '_')}`);
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: here, encoding: 'utf8' }).trim();
  const tar = execFileSync('git', ['archive', rev, 'packages/rerank/src'], { cwd: root });
  execFileSync('tar', ['-x', '-C', base, '--strip-components=2'], { input: tar });

  const server = createServer((req, res) => {
    const i = req.url!.slice(1).split('.')[0];
    res.writeHead(200, { 'content-type': 'image/jpeg', etag: `"t${i}"` }).end(`IMG:${i}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const candidates = Array.from({ length: 100 }, (_, i) => ({ id: `c${i}`, image: `${url}/${i}.jpg` }));
  const fetchOptions = { allowedHosts: ['127.0.0.1'] };

  const variants = [
    await variant(`base (${rev})`, join(base, 'src'), candidates, fetchOptions),
    await variant('this tree', resolve(here, '../src'), candidates, fetchOptions),
  ];
  const times = new Map(variants.map((v) => [v.name, { chain: [] as number[], score: [] as number[] }]));
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first, so neither always runs on a warmer cache line or a quieter moment.
    for (const v of i % 2 ? variants : [...variants].reverse()) {
      let t = performance.now();
      await v.rerank();
      times.get(v.name)!.chain.push(performance.now() - t);
      t = performance.now();
      await v.score();
      times.get(v.name)!.score.push(performance.now() - t);
    }
  }
  server.close();
  const row = (name: string, xs: number[]) =>
    `${name.padEnd(18)} p50 ${p(xs, 0.5).toFixed(3)} ms  p95 ${p(xs, 0.95).toFixed(3)} ms`;
  const [a, b] = variants.map((v) => times.get(v.name)!);
  console.log(
    `${cpus()[0]?.model}, ${cpus().length} CPUs, load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}, ${ROUNDS} rounds`,
  );
  for (const kind of ['chain', 'score'] as const) {
    console.log(`${kind === 'chain' ? 'reranker.rerank (whole chain)' : 'provider.rerank (CLIP scoring)'}:`);
    for (const v of variants) console.log(`  ${row(v.name, times.get(v.name)![kind])}`);
    console.log(`  ratio this/base p50: ${(p(b![kind], 0.5) / p(a![kind], 0.5)).toFixed(2)}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
