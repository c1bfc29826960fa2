// Benchmark of the embedding server (`pmoves-clip serve`, the built dist/) against the in-process
// embedder on the same generated ViT-B/32-dimension model (deterministic weights: speed and memory
// are real, the embeddings mean nothing), and its behaviour under overload.
//
// - throughput: the in-process embedder at batch 32, and the server with 1, 8 and 32 concurrent
//   clients each sending one image per request (POST /v1/embeddings). Both run in child processes
//   that stay up for the whole series; the measurements alternate in rounds (order rotated each
//   round), so a load change on a shared machine hits all of them alike. Medians of images/s per
//   round, p50/p99 of every request's latency, and the mean model batch the server formed.
// - overload: 120 simultaneous 32-image requests against a fresh server; every answer must be 200
//   with 32 embeddings or 429 with Retry-After; the server's RSS 10 s later is compared with its
//   idle RSS (with the V8 heap and external memory from /metrics, to say where memory sits).
//
// The load generator (this process) shares the machine's CPUs with the server, as a client on the
// same host would. Run: `npm run bench:server -w @pmoves/clip` (builds, holds flock
// /tmp/pmoves-bench.lock). CLIP_BENCH_SERVER_REPEATS (rounds, default 3), CLIP_BENCH_SERVER_IMAGES
// (images per measurement and round, default 128), CLIP_BENCH_SERVER_DTYPE (default q8). The
// server child inherits the environment, so `CLIP_SERVER_BATCH_CONCURRENCY=1 npm run bench:server`
// is an A/B of a server setting.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as ClipApi from '../src/index';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const MODEL_DIR = join(pkg, '.models', 'vit-b32');
const SPLIT = join(MODEL_DIR, 'xenova-split');
const WORK = join(pkg, '.bench');
const FIXTURES = resolve(pkg, '../../../shared/fixtures/images');
const REPEATS = Number(process.env.CLIP_BENCH_SERVER_REPEATS ?? 3);
const IMAGES = Number(process.env.CLIP_BENCH_SERVER_IMAGES ?? 128);
const DTYPE = (process.env.CLIP_BENCH_SERVER_DTYPE ?? 'q8') as 'fp32' | 'q8';
const PHOTOS = [
  'astronaut.jpg',
  'chelsea.jpg',
  'rocket.jpg',
  'wide.jpg',
  'chelsea-exif6.jpg',
  'coffee.png',
  'camera.png',
  'logo.png',
];

/** 32 photos (the fixtures, cycled). */
function photos(): Uint8Array[] {
  return Array.from({ length: 32 }, (_, i) => readFileSync(join(FIXTURES, PHOTOS[i % PHOTOS.length]!)));
}

const dataUri = (b: Uint8Array) => `data:image/jpeg;base64,${Buffer.from(b).toString('base64')}`;

function distUrl(file: string): string {
  const p = join(pkg, 'dist', file);
  if (!existsSync(p)) throw new Error('run `npm run build -w @pmoves/clip` first');
  return pathToFileURL(p).href;
}

/** Child: the in-process embedder at batch 32; runs `n` images per request of the parent (IPC). */
async function inProcessChild(): Promise<void> {
  const clip = (await import(distUrl('index.js'))) as typeof ClipApi;
  const e = await clip.createClipEmbedder({
    modelPath: SPLIT,
    dtype: DTYPE,
    device: 'cpu',
    batchSize: 32,
    modalities: ['image'],
  });
  const batch = photos();
  process.on('message', (msg: { run?: number; stop?: boolean }) => {
    void (async () => {
      if (msg.stop) {
        await e.dispose();
        process.send!({ peakRssMiB: process.resourceUsage().maxRSS / 1024 }, () => process.exit(0));
        return;
      }
      const t0 = performance.now();
      for (let done = 0; done < msg.run!; done += 32) {
        const r = await e.embedImages(batch);
        if (r.some((x: { error?: unknown }) => x.error)) throw new Error('an image failed');
      }
      process.send!({ seconds: (performance.now() - t0) / 1000 });
    })();
  });
  process.send!({ ready: true });
}

/** The in-process embedder in its own process, driven over IPC. */
async function startInProcess() {
  const child = fork(fileURLToPath(import.meta.url), ['--child'], {
    cwd: pkg,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const next = () =>
    new Promise<Record<string, number | boolean>>((res, rej) => {
      child.once('message', (m) => res(m as Record<string, number | boolean>));
      child.once('exit', (code) => rej(new Error(`in-process child exited ${code}`)));
    });
  await next();
  return {
    async run(n: number): Promise<number> {
      const reply = next();
      child.send({ run: n });
      return n / ((await reply).seconds as number);
    },
    async stop(): Promise<number> {
      const reply = next();
      child.send({ stop: true });
      return (await reply).peakRssMiB as number;
    },
  };
}

interface Server {
  url: string;
  child: ChildProcess;
  rssMiB(): number;
  stop(): Promise<void>;
}

/** Children to stop if this process ends early. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts `pmoves-clip serve` from dist/ and resolves once the model is loaded. */
async function startServer(env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, [fileURLToPath(distUrl('cli.js')), 'serve'], {
    env: {
      ...process.env,
      PORT: '0',
      CLIP_MODEL_PATH: SPLIT,
      CLIP_DTYPE: DTYPE,
      CLIP_DEVICE: 'cpu',
      CLIP_SERVER_MODEL_NAME: 'bench',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const url = await new Promise<string>((res, rej) => {
    let log = '';
    let found: string | undefined;
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      found ??= /listening on (http:\/\/[\d.]+:\d+)/.exec(log)?.[1];
      if (found && log.includes('; ready')) res(found);
    });
    child.once('exit', (code) => rej(new Error(`server exited ${code}: ${log}`)));
  });
  return {
    url,
    child,
    rssMiB: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
    },
    stop: () =>
      new Promise<void>((res) => {
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

const post = (url: string, body: string) =>
  fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

/** `clients` concurrent clients, one image per request, until `total` images are embedded. */
/**
 * `clients` concurrent clients, one image per request, until `total` images are embedded. A 429
 * is waited out as its Retry-After asks and retried (counted in `shed`), as a real client would.
 */
async function load(
  url: string,
  uris: string[],
  clients: number,
  total: number,
): Promise<{ seconds: number; latencies: number[]; shed: number }> {
  const bodies = uris.map((u) =>
    JSON.stringify({ model: 'bench', input: [{ image: u }], encoding_format: 'base64' }),
  );
  let next = 0;
  let shed = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const s = performance.now();
        for (;;) {
          const res = await post(url, bodies[i % bodies.length]!);
          const body = (await res.json()) as { data?: { embedding?: string }[] };
          if (res.status === 429) {
            shed++;
            await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
            continue;
          }
          if (res.status !== 200 || !body.data?.[0]?.embedding)
            throw new Error(`request failed: ${res.status}`);
          break;
        }
        latencies.push(performance.now() - s);
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, latencies, shed };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** A value of the server's /metrics (summed over label sets matching `labels`). */
async function metric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (
      line.startsWith(name) &&
      (line[name.length] === ' ' || line[name.length] === '{') &&
      line.includes(labels)
    )
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** 120 simultaneous 32-image requests against a fresh server with its default limits. */
async function overload(): Promise<Record<string, number | string>> {
  const server = await startServer();
  try {
    const uris = photos().map(dataUri);
    await load(server.url, uris, 4, 64); // warm-up, so "idle" is the RSS of a server that has worked
    await new Promise((r) => setTimeout(r, 2000));
    const idle = server.rssMiB();
    const heapIdle = (await metric(server.url, 'nodejs_heap_size_total_bytes')) / 2 ** 20;
    const externalIdle = (await metric(server.url, 'nodejs_external_memory_bytes')) / 2 ** 20;
    const body = JSON.stringify({
      model: 'bench',
      input: uris.map((u) => ({ image: u })),
      encoding_format: 'base64',
    });
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, server.rssMiB())), 100);
    const t0 = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 120 }, async () => {
        const res = await post(server.url, body).catch((e: Error) => e);
        if (res instanceof Error) return 'lost';
        const text = await res.text();
        if (res.status === 200) {
          const b = JSON.parse(text) as { data: { embedding?: string }[] };
          return b.data.length === 32 && b.data.every((d) => d.embedding) ? 'complete' : 'incomplete';
        }
        if (res.status === 429)
          return res.headers.get('retry-after') ? '429+retry-after' : '429-without-retry-after';
        return `status-${res.status}`;
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 10_000));
    const after = server.rssMiB();
    const heapAfter = (await metric(server.url, 'nodejs_heap_size_total_bytes')) / 2 ** 20;
    const externalAfter = (await metric(server.url, 'nodejs_external_memory_bytes')) / 2 ** 20;
    const counts: Record<string, number> = {};
    for (const a of answers) counts[a] = (counts[a] ?? 0) + 1;
    return {
      ...counts,
      seconds: Number(seconds.toFixed(1)),
      idleRssMiB: Math.round(idle),
      peakRssMiB: Math.round(peak),
      rss10sAfterMiB: Math.round(after),
      rssAboveIdleMiB: Math.round(after - idle),
      v8HeapIdleMiB: Math.round(heapIdle),
      v8Heap10sAfterMiB: Math.round(heapAfter),
      externalIdleMiB: Math.round(externalIdle),
      external10sAfterMiB: Math.round(externalAfter),
    };
  } finally {
    await server.stop();
  }
}

async function parent(): Promise<void> {
  const started = Date.now();
  const { ensureModels, VIT_B32_DIMS } = await import('../scripts/generate-models');
  process.stderr.write('generating the ViT-B/32-dimension model (cached in .models/vit-b32)…\n');
  ensureModels({ outDir: MODEL_DIR, dims: VIT_B32_DIMS, layouts: ['xenova-split'], dtypes: ['fp32', 'q8'] });
  const inproc = await startInProcess();
  // The throughput series measures batching, not shedding: a deadline long enough that a slow,
  // shared machine does not make the server refuse 32 waiting images (the overload run keeps 60 s).
  const server = await startServer({ CLIP_SERVER_TIMEOUT: '600' });
  const uris = photos().map(dataUri);
  await inproc.run(32); // warm-up
  await load(server.url, uris, 8, 32);
  type Run = { imagesPerSecond: number; latencies?: number[]; meanBatch?: number; shed?: number };
  const runs: Record<string, Run[]> = {};
  const order = ['in-process-b32', 'server-c1', 'server-c8', 'server-c32'];
  for (let rep = 0; rep < REPEATS; rep++) {
    // Rotate the order so that no measurement always runs first (or last) in a round.
    const names = order.map((_, i) => order[(i + rep) % order.length]!);
    for (const name of names) {
      let r: Run;
      if (name === 'in-process-b32') r = { imagesPerSecond: await inproc.run(IMAGES) };
      else {
        const [sum0, count0] = await Promise.all([
          metric(server.url, 'clip_server_batch_size_sum', 'modality="image"'),
          metric(server.url, 'clip_server_batch_size_count', 'modality="image"'),
        ]);
        const { seconds, latencies, shed } = await load(server.url, uris, Number(name.slice(8)), IMAGES);
        const [sum1, count1] = await Promise.all([
          metric(server.url, 'clip_server_batch_size_sum', 'modality="image"'),
          metric(server.url, 'clip_server_batch_size_count', 'modality="image"'),
        ]);
        r = {
          imagesPerSecond: IMAGES / seconds,
          latencies,
          meanBatch: (sum1 - sum0) / (count1 - count0),
          shed,
        };
      }
      (runs[name] ??= []).push(r);
      process.stderr.write(
        `  round ${rep + 1} ${name}: ${r.imagesPerSecond.toFixed(2)} images/s${r.meanBatch ? `, mean model batch ${r.meanBatch.toFixed(1)}` : ''}\n`,
      );
    }
  }
  const serverPeak =
    Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) / 1024;
  await server.stop();
  const inprocPeak = await inproc.stop();
  process.stderr.write('overload: 120 simultaneous 32-image requests…\n');
  const over = await overload();
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const summary = Object.fromEntries(
    Object.entries(runs).map(([k, rs]) => {
      const lat = rs.flatMap((r) => r.latencies ?? []);
      return [
        k,
        {
          medianImagesPerSecond: Number(median(rs.map((r) => r.imagesPerSecond)).toFixed(2)),
          runs: rs.map((r) => Number(r.imagesPerSecond.toFixed(2))),
          ...(lat.length
            ? {
                p50Ms: Math.round(pct(lat, 50)),
                p99Ms: Math.round(pct(lat, 99)),
                meanModelBatch: Number(median(rs.map((r) => r.meanBatch!)).toFixed(1)),
                shed: rs.reduce((a, r) => a + (r.shed ?? 0), 0),
              }
            : {}),
        },
      ];
    }),
  );
  const base = summary['in-process-b32']!.medianImagesPerSecond;
  // Also per round: each server figure over the in-process figure of the same round.
  const ratios = Object.fromEntries(
    ['server-c1', 'server-c8', 'server-c32'].map((k) => [
      k,
      {
        ofMedians: Number((summary[k]!.medianImagesPerSecond / base).toFixed(3)),
        medianOfRounds: Number(
          median(
            runs[k]!.map((r, i) => r.imagesPerSecond / runs['in-process-b32']![i]!.imagesPerSecond),
          ).toFixed(3),
        ),
      },
    ]),
  );
  const report = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    load: spawnSync('uptime', { encoding: 'utf8' }).stdout.trim(),
    dtype: DTYPE,
    imagesPerMeasurement: IMAGES,
    repeats: REPEATS,
    seconds: Math.round((Date.now() - started) / 1000),
    throughput: summary,
    peakRssMiB: { server: Math.round(serverPeak), inProcess: Math.round(inprocPeak) },
    ratioToInProcess: ratios,
    overload: over,
  };
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, 'server-results.json'), JSON.stringify(report, null, 2));
  console.log(JSON.stringify(report, null, 2));
  console.log(
    `\nserver at 32 clients / in-process batch 32: ${ratios['server-c32']!.ofMedians} of medians, ${ratios['server-c32']!.medianOfRounds} median of rounds (target ≥ 0.9)`,
  );
  const o = over as Record<string, number>;
  const lost = 120 - (o.complete ?? 0) - (o['429+retry-after'] ?? 0);
  console.log(
    `overload: ${o.complete ?? 0} complete, ${o['429+retry-after'] ?? 0} × 429 with Retry-After, ${lost} other (target 0); RSS 10 s later ${o.rssAboveIdleMiB} MiB above idle (target ≤ 512)`,
  );
}

if (process.argv.includes('--child')) await inProcessChild();
else await parent();
