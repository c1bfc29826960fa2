// `npm run demo`: the whole PMOVES enrichment flow in one process, on embedded defaults, with no
// network and nothing installed — the CLIP-reranking hi-rag gateway answering a query, audio
// analysed (or its signal features measured), the enriched publisher emitting
// content.published.v1, and the Discord embed rendered. It says what was real, what was
// synthetic and what was skipped.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clipEmbedderOptionsFromEnv, createClipEmbedder, isClipError, type ClipEmbedder } from '@pmoves/clip';
import {
  checkDiscordLimits,
  discordOptionsFromEnv,
  formatPublishedEmbed,
  parseEnvelope,
  PublishedPayloadSchema,
  type Envelope,
} from '@pmoves/publisher-meta';
import {
  createPgliteStore,
  createQwenAudioAdapterFromEnv,
  decodePcm,
  extractFeatures,
  processItem,
  resolveFfmpegPath,
  type AudioFeatures,
  type QwenAudioAdapter,
} from '@pmoves/qwen-audio';
import { createClipProvider, createReranker, type HiRagQueryResponse } from '@pmoves/rerank';
import { connectNatsBus, memoryBus, type Bus } from '../../common/src/bus';
import { listen } from '../../common/src/http';
import { createLogger, errorMessage } from '../../common/src/log';
import { createGatewayApp, createGatewayHiRag } from '../../hi-rag-gateway/src/app';
import { sampleRetriever } from '../../hi-rag-gateway/src/retrievers';
import { loadSampleIndex } from '../../hi-rag-gateway/src/sample-index';
import { startDiscordNotifier } from '../../publisher/src/discord-notifier';
import { audioHook, clipHook, matchQuery } from '../../publisher/src/enrichment';
import { SUBJECTS, startPublisherService } from '../../publisher/src/service';
import { loadDemoConfig, type DemoConfig } from './config';
import { renderEmbedHtml } from './embed-html';
import { buildLibraryIndex, LIBRARY_NAMESPACE } from './library';
import { makeSampleAudio, SAMPLE_AUDIO } from './media';
import { findChromium, screenshot } from './screenshot';
import { ensureTestModel } from './test-model';

const here = fileURLToPath(new URL('.', import.meta.url));
const REPO = resolve(here, '../../..');
const env = process.env;
const QUERY = 'red circle logo for the spring campaign';
const DEMO_ITEM = 'demo-jellyfin-item-0001';
const t0 = performance.now();
let cfg: DemoConfig;
try {
  cfg = loadDemoConfig(env);
} catch (err) {
  console.error(`demo: ${errorMessage(err)}`);
  process.exit(2);
}
const OUT = resolve(cfg.outputDir ?? join(REPO, 'demo-output'));
const log = createLogger('demo', { ...env, PMOVES_EXAMPLES_QUIET: cfg.verbose ? '' : '1' });

const ledger = { real: [] as string[], synthetic: [] as string[], skipped: [] as string[] };
const say = (s = '') => console.log(s);
const section = (title: string) =>
  say(`\n━━ ${title} ${'━'.repeat(Math.max(0, 62 - title.length))} ${secs().padStart(6)}`);
const secs = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
// Paths relative to where the user typed the command (npm runs workspace scripts in examples/).
const show = (p: string) => relative(env.INIT_CWD ?? process.cwd(), p) || '.';
/** A model id, or a local model directory shown relative to the working directory. */
const modelName = (m: string) => (isAbsolute(m) ? show(m) : m);

/** CLIP from CLIP_MODEL_PATH or the Hugging Face cache, else the generated test model. */
async function loadClip(): Promise<{ embedder: ClipEmbedder; real: boolean }> {
  try {
    const embedder = await createClipEmbedder(clipEmbedderOptionsFromEnv(env));
    const i = embedder.info();
    say(
      `CLIP: ${i.model} — a real model found (${env.CLIP_MODEL_PATH ? 'CLIP_MODEL_PATH' : 'Hugging Face cache'}), ${i.provider}, ${i.dtype}, ${i.dims} dims`,
    );
    ledger.real.push(`CLIP scores (${i.model})`);
    return { embedder, real: true };
  } catch (err) {
    if (!isClipError(err) || (err as { code?: string }).code !== 'not-found') throw err;
    const dir = ensureTestModel(join(REPO, 'examples/.models/demo'));
    const embedder = await createClipEmbedder({ modelPath: dir, device: 'cpu', dtype: 'fp32' });
    const bar = '!'.repeat(78);
    say(bar);
    say('!! NO CLIP MODEL FOUND — using the GENERATED TEST MODEL: its scores are MEANINGLESS.');
    say('!! It has the real CLIP architecture and tensor contracts with made-up weights and a');
    say('!! made-up tokenizer: the wiring below is real, the ranking is noise. For a real run:');
    say('!!   huggingface-cli download Xenova/clip-vit-base-patch32   # into the HF cache, or');
    say('!!   CLIP_MODEL_PATH=/path/to/clip-vit-base-patch32 npm run demo');
    say(`!! (${errorMessage(err).split('. ')[0]})`);
    say(bar);
    ledger.synthetic.push(
      'CLIP weights and tokenizer (generated test model): every CLIP score is meaningless',
    );
    return { embedder, real: false };
  }
}

/**
 * A fresh PGlite data directory under `work`. Creating a PGlite database runs initdb (about 8 s of
 * CPU); the first run keeps an initialised copy under examples/.cache/ and every database the demo
 * opens (media_audio_analysis, the CLIP library) starts from a fresh copy of it.
 */
async function freshPgliteDir(work: string, name: string): Promise<string> {
  const template = join(REPO, 'examples/.cache/demo-pglite');
  if (!existsSync(join(template, 'PG_VERSION'))) {
    const building = `${template}.${process.pid}`;
    await mkdir(dirname(template), { recursive: true });
    const s = createPgliteStore({ dataDir: building });
    await s.migrate();
    await s.close();
    await rm(template, { recursive: true, force: true });
    await rename(building, template).catch(() => rm(building, { recursive: true, force: true }));
  }
  const dataDir = join(work, name);
  await cp(template, dataDir, { recursive: true });
  return dataDir;
}

/** PGlite with the media_audio_analysis migration. */
async function openStore(work: string) {
  const store = createPgliteStore({ dataDir: await freshPgliteDir(work, 'pglite') });
  await store.migrate();
  return store;
}

/** Qwen2-Audio when QWEN_AUDIO_URL answers with an audio-capable model; the reason otherwise. */
async function qwenAdapter(): Promise<{ adapter?: QwenAudioAdapter; skipped?: string }> {
  if (!env.QWEN_AUDIO_URL?.trim())
    return {
      skipped: 'QWEN_AUDIO_URL is not set (point it at vLLM, llama-server or Ollama serving Qwen2-Audio)',
    };
  try {
    const adapter = createQwenAudioAdapterFromEnv(env, { enabled: true });
    await adapter.checkCapability(AbortSignal.timeout(10_000));
    return { adapter };
  } catch (err) {
    return { skipped: `${env.QWEN_AUDIO_URL} did not offer an audio-capable model: ${errorMessage(err)}` };
  }
}

const fmt = (n: number | null | undefined, d = 3) => (typeof n === 'number' ? n.toFixed(d) : '—');

function printFeatures(f: AudioFeatures) {
  say(
    `  tempo ${fmt(f.tempo, 1)} BPM · RMS ${fmt(f.rms_mean, 4)} · spectral centroid ${fmt(f.spectral_centroid_mean, 0)} Hz · ZCR ${fmt(f.zero_crossing_rate_mean, 4)}`,
  );
  say(`  MFCC mean [${f.mfcc_mean.map((v) => v.toFixed(1)).join(', ')}]`);
  say(`  (${f.analysed_seconds} s analysed at ${f.sample_rate} Hz, scope ${f.scope})`);
}

function printDiff(before: HiRagQueryResponse, after: HiRagQueryResponse) {
  const title = (h: { payload?: Record<string, unknown> }) => String(h.payload?.title ?? '');
  const beforeRank = new Map(before.hits.map((h, i) => [h.chunk_id, i]));
  say(
    `  #  before: hybrid retrieval                 after: fused with ${after.rerank_provider ?? 'nothing'}`,
  );
  const n = Math.max(before.hits.length, after.hits.length);
  for (let i = 0; i < n; i++) {
    const b = before.hits[i];
    const a = after.hits[i];
    const left = b ? `${b.chunk_id} ${fmt(b.score)} ${title(b).slice(0, 20).padEnd(20)}` : '';
    const was = a ? beforeRank.get(a.chunk_id) : undefined;
    const move = was === undefined ? 'new' : was === i ? '=' : was > i ? `↑${was - i}` : `↓${i - was}`;
    const right = a
      ? `${a.chunk_id} ${fmt(a.score)} (clip ${fmt(a.rerank_score ?? null)}) ${move.padEnd(3)} ${title(a).slice(0, 20)}`
      : '';
    say(`  ${String(i + 1).padStart(1)}  ${left.padEnd(42)} ${right}`);
  }
}

async function main(): Promise<void> {
  say('PMOVES Enrich SDK demo — the whole flow in one process (no network, nothing installed)');
  say(
    'Legend: [real] ran for real here · [synthetic] made up for the demo · [skipped] not run, with the reason',
  );
  const work = await mkdtemp(join(tmpdir(), 'pmoves-demo-'));
  const closers: (() => Promise<void>)[] = [async () => rm(work, { recursive: true, force: true })];
  try {
    section('1. Services');
    const { embedder, real } = await loadClip();
    closers.unshift(() => embedder.dispose());
    let bus: Bus;
    if (cfg.natsUrl) {
      bus = await connectNatsBus(cfg.natsUrl, { name: 'pmoves-demo' });
      say(`Bus: NATS at ${bus.where}`);
      ledger.real.push(`NATS (${bus.where})`);
    } else {
      bus = memoryBus();
      say('Bus: in-process (NATS_URL unset) — same subjects and queue groups, no server');
      ledger.real.push('event flow on the in-process bus');
    }
    closers.unshift(() => bus.close());
    const store = await openStore(work);
    closers.unshift(() => store.close());
    say(
      'Store: PGlite (PostgreSQL in WASM, a fresh database in a temporary directory) with the media_audio_analysis migration',
    );
    ledger.real.push('media_audio_analysis in PGlite');

    section(`2. hi-rag gateway: POST /hirag/query "${QUERY}"`);
    const index = await loadSampleIndex();
    closers.unshift(() => index.close());
    ledger.synthetic.push(
      'sample index (8 design-library chunks) and its thumbnails, drawn with sharp at start-up',
    );
    // @pmoves/rerank's hi-rag adapter over a CLIP-only chain on the demo's embedder; the provider
    // may read the thumbnails the sample index drew, and no other file.
    const gatewayHirag = createGatewayHiRag(
      createReranker({ providers: [createClipProvider({ embedder, mediaRoots: [index.thumbnailDir] })] }),
      { k: 5 },
    );
    const { app } = createGatewayApp({
      hirag: gatewayHirag,
      retriever: sampleRetriever(index),
      namespace: 'pmoves',
      alpha: 0.7,
      requestTimeoutMs: 60_000,
      log,
    });
    const gateway = await listen(app, 0, '127.0.0.1');
    closers.unshift(() => gateway.close());
    const ask = async (body: object) => {
      const res = await fetch(`${gateway.url}/hirag/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`/hirag/query answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as HiRagQueryResponse;
    };
    const before = await ask({ query: QUERY, k: 5, use_rerank: false });
    const after = await ask({ query: QUERY, k: 5 });
    say(
      `Gateway ${gateway.url} (sample mode: alpha·TF-IDF cosine + (1−alpha)·token_set_ratio/100, GRAPH_BOOST 0.15)`,
    );
    printDiff(before, after);
    say(
      `  used_rerank: ${after.used_rerank} · rerank_provider: ${after.rerank_provider ?? 'null'}${real ? '' : '  ← scores from the GENERATED model: meaningless'}`,
    );
    const status = (await (await fetch(`${gateway.url}/hirag/admin/rerank-status`)).json()) as Record<
      string,
      unknown
    >;
    say(
      `  rerank-status: chain ${JSON.stringify(status.breakers)} · last_provider ${status.last_provider} · execution_provider ${status.execution_provider} · loaded ${status.loaded}`,
    );
    ledger.real.push(
      'hybrid retrieval scoring, CLIP inference on onnxruntime, fusion (mul), the gateway over HTTP',
    );

    section('3. Visual library: ClipIndex (PGlite + pgvector)');
    const assets = index.thumbnails.map((t) => ({ id: t.chunkId, file: t.file, title: t.title }));
    const library = await buildLibraryIndex(embedder, assets, await freshPgliteDir(work, 'clip-index'));
    closers.unshift(() => library.close());
    const titleOf = new Map(assets.map((a) => [a.id, a.title]));
    const line = (m: { asset_id: string; score: number }, i: number) =>
      `  ${i + 1}  ${m.asset_id}  cosine ${fmt(m.score)}  ${titleOf.get(m.asset_id) ?? ''}`;
    say(
      `Indexed ${assets.length} thumbnails of the sample library with ${library.space?.model ?? modelName(embedder.info().model)} (namespace ${LIBRARY_NAMESPACE}, HNSW cosine)${real ? '' : '  ← GENERATED model: these similarities are MEANINGLESS'}`,
    );
    const seed = assets[0]!;
    const similar = await library.similar(seed.id, { k: 3 });
    say(`Similar to ${seed.id} "${seed.title}" (image → image):`);
    similar.forEach((m, i) => say(line(m, i)));
    ledger.real.push(
      `CLIP similarity index: ${assets.length} thumbnails embedded into PGlite + pgvector, nearest/similar queries`,
    );

    section('4. Audio');
    const audioPath = await makeSampleAudio(work);
    ledger.synthetic.push(`sample audio (${SAMPLE_AUDIO.description})`);
    say(`Sample audio: ${SAMPLE_AUDIO.description} [synthetic]`);
    const qwen = await qwenAdapter();
    let features: AudioFeatures | null = null;
    if (qwen.adapter) {
      const out = await processItem({
        adapter: qwen.adapter,
        store,
        itemId: DEMO_ITEM,
        path: audioPath,
        namespace: 'pmoves',
      });
      if (out.outcome === 'processed') {
        const r = out.result;
        say(
          `Qwen2-Audio (${r.model} via ${r.backend}) [real] — stored in media_audio_analysis as ${DEMO_ITEM}`,
        );
        say(`  summary: ${r.summary}`);
        say(
          `  tags: ${r.tags.join(', ')} · mood: ${r.mood} · confidence: ${fmt(r.confidence, 2)} (${r.confidenceSource})`,
        );
        features = r.features;
        ledger.real.push(`Qwen2-Audio analysis (${r.model})`);
      } else {
        const reason = out.outcome === 'failed' ? `analysis failed (${out.code}): ${out.error}` : out.reason;
        say(`audio analysis skipped: ${reason}`);
        ledger.skipped.push(`Qwen2-Audio analysis: ${reason}`);
      }
    } else {
      say(`audio analysis skipped: ${qwen.skipped}`);
      ledger.skipped.push(`Qwen2-Audio analysis: ${qwen.skipped}`);
    }
    if (!features) {
      const ffmpeg = await resolveFfmpegPath(env.FFMPEG_PATH || undefined);
      const pcm = await decodePcm(audioPath, { ffmpeg });
      features = extractFeatures(pcm, 16_000);
    }
    say('Signal features [real: bundled ffmpeg decode + meyda, no model]:');
    printFeatures(features);
    ledger.real.push('signal features (tempo, RMS, MFCC)');

    section('5. Publisher: content.publish.approved.v1 → content.published.v1');
    // The publisher's CLIP enrichment comes from the library index: the assets nearest to the
    // item's title and description are meta.clip_similarity, the first is meta.clip_best_match.
    const clipFromLibrary = clipHook(undefined, {
      library: { index: library, k: 5, namespace: LIBRARY_NAMESPACE },
      log,
    });
    // The item's thumbnail is served by the gateway (the embed shows it); CLIP reads the library.
    const thumb = { id: 'sample-01', url: `${gateway.url}/sample/thumbnails/sample-01.png` };
    const published: Envelope[] = [];
    bus.subscribe(
      SUBJECTS.published,
      async (m) => void published.push(parseEnvelope(JSON.parse(new TextDecoder().decode(m.data)))),
    );
    const svc = startPublisherService({
      bus,
      log,
      publish: {
        mediaLibraryPath: '/library/media',
        mediaLibraryPublicBaseUrl: 'https://media.pmoves.example/library',
      },
      hooks: {
        clip: clipFromLibrary,
        audio: audioHook({ store, ...(qwen.adapter ? { adapter: qwen.adapter } : {}), log }),
      },
    });
    closers.unshift(() => svc.drain());
    let notifier;
    if (cfg.webhookUrl) {
      notifier = startDiscordNotifier({
        bus,
        webhookUrl: cfg.webhookUrl,
        format: discordOptionsFromEnv(env),
        log,
      });
      closers.unshift(() => notifier!.drain());
    }
    await bus.flush();
    const approval = {
      id: randomUUID(),
      topic: SUBJECTS.approved,
      ts: new Date().toISOString(),
      version: 'v1',
      source: 'pmoves-enrich-demo',
      correlation_id: randomUUID(),
      payload: {
        artifact_uri: 's3://outputs/demo/spring-campaign-teaser.mp4',
        title: 'Spring campaign teaser',
        description: 'The red circle logo over a pulsing beat.',
        namespace: 'pmoves',
        tags: ['spring', 'campaign'],
        thumbnail_url: thumb.url,
        meta: { jellyfin_item_id: DEMO_ITEM },
      },
    };
    say(`Approval ${approval.id}: "${approval.payload.title}" [synthetic event]`);
    bus.publish(SUBJECTS.approved, JSON.stringify(approval));
    const deadline = Date.now() + 60_000;
    let envelope: Envelope | undefined;
    while (!(envelope = published.find((e) => e.parent_id === approval.id)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    if (!envelope) throw new Error('no content.published.v1 within 60 s');
    const payload = PublishedPayloadSchema.parse(envelope.payload);
    const meta = payload.meta ?? {};
    say(`Library assets nearest to "${matchQuery(payload)}" (text → image), from the index:`);
    (Array.isArray(meta.clip_similarity) ? meta.clip_similarity : []).forEach((m, i) => say(line(m, i)));
    say(
      `CLIP best match: ${meta.clip_best_match ? `${meta.clip_best_match.asset_id} (cosine ${fmt(meta.clip_best_match.score)})${real ? '' : ' ← generated model: meaningless'}` : 'none'}`,
    );
    say(
      `meta.clip_similarity: ${Array.isArray(meta.clip_similarity) ? `${meta.clip_similarity.length} assets from the index${real ? '' : ' ← generated model: meaningless'}` : 'none'}`,
    );
    say(
      `Audio in the payload: ${meta.audio_summary ? `"${meta.audio_summary}" (from media_audio_analysis)` : 'none — no analysis stored for the item (Qwen2-Audio was skipped)'}`,
    );
    say('\ncontent.published.v1 envelope:');
    say(JSON.stringify(envelope, null, 2));
    ledger.real.push('content.published.v1 built, enriched (withEnrichment) and validated');

    section('6. Discord embed');
    const discord = formatPublishedEmbed(payload, {
      ...discordOptionsFromEnv(env),
      jellyfinBaseUrl: env.JELLYFIN_URL ?? '',
    });
    const problems = checkDiscordLimits(discord);
    const images: Record<string, string> = {};
    const png = index.thumbnail(`${thumb.id}.png`);
    if (png) images[thumb.url] = `data:image/png;base64,${png.toString('base64')}`;
    await mkdir(OUT, { recursive: true });
    const htmlPath = join(OUT, 'discord-embed.html');
    const note = real
      ? 'Rendered by the PMOVES Enrich SDK demo.'
      : 'Rendered by the PMOVES Enrich SDK demo with the GENERATED test CLIP model: the CLIP score is meaningless.';
    await writeFile(htmlPath, renderEmbedHtml(discord, { images, note }));
    say(`Embed fits Discord's limits: ${problems.length === 0 ? 'yes' : problems.join('; ')}`);
    say(`Written: ${show(htmlPath)} (the embed as Discord's dark theme shows it)`);
    const chromium = findChromium(env);
    if (chromium) {
      const pngPath = join(OUT, 'discord-embed.png');
      try {
        await screenshot(chromium, htmlPath, pngPath);
        say(`Written: ${show(pngPath)} (screenshot by ${chromium})`);
        ledger.real.push('embed screenshot (headless Chromium)');
      } catch (err) {
        say(`Screenshot skipped: ${chromium} failed: ${errorMessage(err).split('\n')[0]}`);
        ledger.skipped.push('embed screenshot: Chromium failed');
      }
    } else {
      say('Screenshot skipped: no Chromium found (set CHROME_PATH, or install chromium)');
      ledger.skipped.push('embed screenshot: no Chromium (CHROME_PATH)');
    }
    if (notifier) {
      say('Discord: posting to DISCORD_WEBHOOK_URL (see the notifier log for the outcome)');
      await new Promise((r) => setTimeout(r, 3_000));
    } else {
      say('Discord: not posted (DISCORD_WEBHOOK_URL unset)');
      ledger.skipped.push('Discord post: DISCORD_WEBHOOK_URL unset');
    }
    await gatewayHirag.dispose();

    section('What was real, synthetic, skipped');
    for (const [k, items] of Object.entries(ledger)) for (const it of items) say(`  [${k}] ${it}`);
    say(`\nDone in ${secs()}.`);
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`demo failed: ${errorMessage(err)}`);
    process.exit(1);
  },
);
