// The publisher's hooks on the real engines: @pmoves/rerank's CLIP provider and a CLIP similarity
// index (@pmoves/clip/library on PGlite + pgvector) on the generated tiny CLIP model (its scores
// are compared with the embedder's own cosines, never read as meaning), and @pmoves/qwen-audio
// through the real ollama client against a loopback Ollama stand-in, with media_audio_analysis in
// PGlite.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClipEmbedder, cosineSimilarity, type LocalClipEmbedder } from '@pmoves/clip';
import { createImageFetcher, imageFetchOptionsFromEnv, type ImageFetcher } from '@pmoves/clip/fetch';
import { createClipIndex, createPgliteClipStore, type ClipIndex } from '@pmoves/clip/library';
import {
  AUDIO_TRANSCRIPT_MAX_LENGTH,
  buildPublishedPayload,
  checkDiscordLimits,
  formatPublishedEmbed,
  withEnrichment,
  type PublishedPayload,
} from '@pmoves/publisher-meta';
import {
  createPgliteStore,
  createQwenAudioAdapterFromEnv,
  type AudioAnalysisStore,
  type StoredAudioAnalysis,
} from '@pmoves/qwen-audio';
import { sha256File } from '../../common/src/hash';
import { createRerankerFromEnv } from '@pmoves/rerank';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../common/src/log';
import { synthTone } from '../../test/audio';
import { startFileServer } from '../../test/helpers';
import { SHARED_FIXTURES, tinyClipEnv } from '../../test/models';
import { startOllamaStandIn } from '../../test/ollama';
import { clipRerankerEnv } from './config';
import { audioHook, clipHook, imageCandidates } from './enrichment';

type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
const MODEL = 'qwen2-audio-test';
const log = createLogger('test', { PMOVES_EXAMPLES_QUIET: '1' });
const IMAGES = join(SHARED_FIXTURES, 'images');

let images: Awaited<ReturnType<typeof startFileServer>>;
let ollama: Awaited<ReturnType<typeof startOllamaStandIn>>;
let dir: string;

beforeAll(async () => {
  images = await startFileServer(IMAGES);
  ollama = await startOllamaStandIn({
    models: { [MODEL]: ['completion', 'audio'] },
    reply: { summary: 'A steady tone.', tags: ['Tone', 'test'], mood: 'neutral', confidence: 0.7 },
  });
  dir = await mkdtemp(join(tmpdir(), 'pmoves-examples-'));
});
afterAll(async () => {
  await images?.close();
  await ollama?.close();
  await rm(dir, { recursive: true, force: true });
});

const payloadWith = (
  meta: Record<string, JsonValue>,
  extra: Record<string, unknown> = {},
): PublishedPayload =>
  buildPublishedPayload({
    artifact_uri: 's3://outputs/demo/cat.png',
    published_path: '/library/images/demo/demo--cat.png',
    namespace: 'demo',
    title: 'a photo of a cat',
    slug: 'cat',
    namespace_slug: 'demo',
    filename: 'demo--cat.png',
    extension: 'png',
    incoming_meta: meta,
    ...extra,
  });

describe('CLIP hook', () => {
  it('offers only http(s) image URLs, never a local path from the approval', () => {
    const payload = payloadWith({
      frames: ['/etc/hostname', 'file:///etc/passwd', 'https://cdn.example.com/f1.jpg'],
    });
    expect(imageCandidates(payload).map((c) => c.image)).toEqual(['https://cdn.example.com/f1.jpg']);
  });

  it('returns the frame whose embedding is closest to the title, and skips a broken frame', async () => {
    const env = tinyClipEnv({ CLIP_IMAGE_FETCH_ALLOWED_HOSTS: '127.0.0.1' });
    const files = ['chelsea.jpg', 'coffee.png', 'rocket.jpg', 'not-an-image.jpg'];
    const frames = files.map((f, i) => ({ id: `frame-${i}`, url: `${images.url}/${f}` }));
    const reranker = await createRerankerFromEnv(clipRerankerEnv(env)); // await: it may become async (#18)
    const embedder = await createClipEmbedder({
      modelPath: env.CLIP_MODEL_PATH,
      device: 'cpu',
      dtype: 'fp32',
    });
    try {
      const out = await clipHook(reranker)(payloadWith({ frames }), AbortSignal.timeout(60_000));
      const [q] = await embedder.embedTexts(['a photo of a cat']);
      const embs = await embedder.embedImages(files.slice(0, 3).map((f) => join(IMAGES, f)));
      const scores = embs.map((e) => cosineSimilarity(q!, e.embedding!));
      const best = scores.indexOf(Math.max(...scores));
      expect(out?.best_match.asset_id).toBe(`frame-${best}`);
      expect(out?.best_match.score).toBeCloseTo(scores[best]!, 5);
      expect(out?.best_match.model).toBe(env.CLIP_MODEL_PATH);
    } finally {
      await embedder.dispose();
      await reranker.dispose();
    }
  });
});

describe('CLIP hook with a CLIP similarity index (PGlite + pgvector)', () => {
  const LIBRARY = ['chelsea.jpg', 'coffee.png', 'rocket.jpg', 'astronaut.jpg', 'camera.png', 'logo.png'];
  const libId = (f: string) => `lib-${f.replace(/\..*$/, '')}`;
  let embedder: LocalClipEmbedder;
  let index: ClipIndex;
  let fetcher: ImageFetcher;
  /** The embedder's own vectors of the library images, by asset id. */
  const vectors = new Map<string, Float32Array>();
  const warnings: string[] = [];
  const logged = (level: LogLevel, msg: string) => void (level !== 'info' && warnings.push(msg));

  const env = () => tinyClipEnv();
  beforeAll(async () => {
    embedder = await createClipEmbedder({ modelPath: env().CLIP_MODEL_PATH, device: 'cpu', dtype: 'fp32' });
    const store = await createPgliteClipStore({ dims: embedder.info().dims });
    index = await createClipIndex({ store, embedder, namespace: 'jellyfin' });
    // The item published below is in the library too, under its Jellyfin id (as the indexer stores it).
    const report = await index.upsert([
      ...LIBRARY.map((f) => ({ id: libId(f), image: join(IMAGES, f), metadata: { kind: 'primary' } })),
      { id: 'jf-published', image: join(IMAGES, 'chelsea-exif6.jpg'), metadata: { kind: 'primary' } },
    ]);
    expect(report.failed).toEqual([]);
    const files = [...LIBRARY, 'chelsea-exif6.jpg'];
    const embs = await embedder.embedImages(files.map((f) => join(IMAGES, f)));
    [...LIBRARY.map(libId), 'jf-published'].forEach((id, i) => vectors.set(id, embs[i]!.embedding!));
    fetcher = createImageFetcher(imageFetchOptionsFromEnv({ CLIP_IMAGE_FETCH_ALLOWED_HOSTS: '127.0.0.1' }));
  });
  afterAll(async () => {
    await index?.close();
    await embedder?.dispose();
    await fetcher?.close();
  });

  /** The library ranked by exact cosine to `q` (what the index must answer), the excluded ids left out. */
  const exact = (q: Float32Array, exclude: string[] = []) =>
    [...vectors]
      .filter(([id]) => !exclude.includes(id))
      .map(([id, v]) => ({ asset_id: id, score: cosineSimilarity(q, v) }))
      .sort((a, b) => b.score - a.score);

  const expectMatches = (
    got: { asset_id: string; score: number }[] | undefined,
    want: { asset_id: string; score: number }[],
  ) => {
    expect(got?.map((m) => m.asset_id)).toEqual(want.map((m) => m.asset_id));
    got!.forEach((m, i) => expect(m.score).toBeCloseTo(want[i]!.score, 4));
  };

  it("fills clip_similarity with the top-k neighbours of the item's image, and clip_best_match with the first", async () => {
    const frames = [{ id: 'frame-0', url: `${images.url}/wide.jpg` }];
    const out = await clipHook(undefined, { library: { index, k: 3, fetcher } })(
      payloadWith({ frames }),
      AbortSignal.timeout(60_000),
    );
    const [q] = await embedder.embedImages([await readFile(join(IMAGES, 'wide.jpg'))]);
    // This item has no Jellyfin id: every library asset may be listed.
    const want = exact(q!.embedding!).slice(0, 3);
    expectMatches(out?.similarity as { asset_id: string; score: number }[], want);
    expect(out?.best_match).toMatchObject({ asset_id: want[0]!.asset_id, model: index.space!.model });
    expect(out?.best_match.score).toBeCloseTo(want[0]!.score, 4);
    expect(out?.model).toBe(out?.best_match.model);
  });

  it('leaves the item itself out, using its stored vector when the index holds it under its Jellyfin id', async () => {
    const payload = payloadWith(
      { frames: [{ id: 'frame-0', url: `${images.url}/rocket.jpg` }] },
      { jellyfin_item_id: 'jf-published' },
    );
    const out = await clipHook(undefined, { library: { index, k: 4, fetcher } })(
      payload,
      AbortSignal.timeout(60_000),
    );
    const want = exact(vectors.get('jf-published')!, ['jf-published']).slice(0, 4);
    expectMatches(out?.similarity as { asset_id: string; score: number }[], want);
    expect(out?.best_match.asset_id).toBe(want[0]!.asset_id);
    expect((out?.similarity as unknown[]).length).toBe(4);
  });

  it('queries by title when the item has no image, and the embed lists the similar assets within limits', async () => {
    const out = await clipHook(undefined, { library: { index, k: 100, fetcher } })(
      payloadWith({}),
      AbortSignal.timeout(60_000),
    );
    const [q] = await embedder.embedTexts(['a photo of a cat']);
    const all = await index.nearest({ embedding: q! }, { k: 100 });
    expect(all).toHaveLength(LIBRARY.length + 1);
    expect(out?.similarity).toEqual(all.map(({ asset_id, score }) => ({ asset_id, score })));
    const enriched = withEnrichment(payloadWith({}), { clip: out!, generatedAt: '2026-12-01T00:00:00Z' });
    expect(enriched.meta?.clip_similarity).toEqual(out?.similarity);
    expect(enriched.meta?.clip_best_match?.asset_id).toBe(all[0]!.asset_id);
    const body = formatPublishedEmbed(enriched);
    expect(checkDiscordLimits(body)).toEqual([]);
    const fields = Object.fromEntries((body.embeds?.[0]?.fields ?? []).map((f) => [f.name, f.value]));
    expect(fields['Top CLIP match']).toContain(all[0]!.asset_id);
    for (const m of all) expect(fields['Similar assets']).toContain(m.asset_id);
  });

  it("keeps the reranker's best frame when the library lookup fails, and says so", async () => {
    const reranker = await createRerankerFromEnv(
      clipRerankerEnv(tinyClipEnv({ CLIP_IMAGE_FETCH_ALLOWED_HOSTS: '127.0.0.1' })),
    );
    const broken = { ...index, nearest: async () => Promise.reject(new Error('index store unreachable')) };
    const hook = clipHook(reranker, { library: { index: broken, fetcher }, log: logged });
    try {
      const frames = [{ id: 'frame-0', url: `${images.url}/coffee.png` }];
      const out = await hook(payloadWith({ frames }), AbortSignal.timeout(60_000));
      expect(out?.best_match.asset_id).toBe('frame-0');
      expect(out?.similarity).toBeUndefined();
      expect(warnings).toContain('clip library lookup failed');
    } finally {
      await reranker.dispose();
    }
  });
});

describe('audio hook', () => {
  const adapterEnv = { JELLYFIN_AUDIO_QWEN_ENABLE: 'true', QWEN_AUDIO_URL: '', QWEN_MODEL_NAME: MODEL };
  const adapter = (enabled = true) =>
    createQwenAudioAdapterFromEnv(
      { ...adapterEnv, QWEN_AUDIO_URL: ollama.url },
      { backend: 'ollama', enabled },
    );
  let store: AudioAnalysisStore;
  beforeAll(async () => {
    store = createPgliteStore();
    await store.migrate();
  });
  afterAll(() => store.close());

  const audioPayload = (path: string, jellyfinId?: string) =>
    payloadWith(
      {},
      { published_path: path, extension: 'mp3', ...(jellyfinId ? { jellyfin_item_id: jellyfinId } : {}) },
    );

  it('uses the analysis stored in media_audio_analysis, calling no model', async () => {
    const file = await synthTone(join(dir, 'stored.mp3'), 330);
    await store.upsert({
      itemId: 'jf-stored',
      summary: 'Stored by the audio processor.',
      tags: ['stored'],
      mood: 'calm',
      confidence: 0.9,
      model: 'Qwen/Qwen2-Audio-7B-Instruct',
      backend: 'openai',
      promptVersion: 'v1',
      audioSha256: await sha256File(file),
      status: 'ok',
    });
    const before = ollama.chats();
    const out = await audioHook({ store, adapter: adapter(), log })(
      audioPayload(file, 'jf-stored'),
      AbortSignal.timeout(60_000),
    );
    expect(out).toEqual({
      summary: 'Stored by the audio processor.',
      tags: ['stored'],
      mood: 'calm',
      confidence: 0.9,
      model: 'Qwen/Qwen2-Audio-7B-Instruct',
    });
    expect(ollama.chats()).toBe(before);
  });

  it('analyses once per content hash (concurrent items with the same bytes share one run) and stores it', async () => {
    const a = await synthTone(join(dir, 'a.mp3'), 440);
    const b = join(dir, 'b.mp3');
    await copyFile(a, b);
    const hook = audioHook({ store, adapter: adapter(), log });
    const before = ollama.chats();
    const [ra, rb] = await Promise.all([
      hook(audioPayload(a, 'jf-a'), AbortSignal.timeout(60_000)),
      hook(audioPayload(b, 'jf-b'), AbortSignal.timeout(60_000)),
    ]);
    expect(ollama.chats() - before).toBe(1);
    expect(ra).toMatchObject({ summary: 'A steady tone.', tags: ['tone', 'test'], mood: 'neutral' });
    expect(rb?.summary).toBe(ra?.summary);
    expect((await store.get('jf-a'))?.summary).toBe('A steady tone.');
    // Published again later: the stored row answers.
    await hook(audioPayload(a, 'jf-a'), AbortSignal.timeout(60_000));
    expect(ollama.chats() - before).toBe(1);
  });

  it('re-analyses when the stored hash is not the file’s, and never analyses with the toggle off', async () => {
    const file = await synthTone(join(dir, 'changed.mp3'), 550);
    await store.upsert({
      itemId: 'jf-changed',
      summary: 'An older version.',
      model: MODEL,
      backend: 'ollama',
      promptVersion: 'v1',
      audioSha256: 'a'.repeat(64),
      status: 'ok',
    });
    const off = audioHook({ store, adapter: adapter(false), log });
    const before = ollama.chats();
    expect(await off(audioPayload(file, 'jf-changed'), AbortSignal.timeout(60_000))).toBeUndefined();
    expect(
      await off(audioPayload(join(dir, 'missing.mp3'), 'jf-none'), AbortSignal.timeout(60_000)),
    ).toBeUndefined();
    expect(ollama.chats()).toBe(before);
    const on = await audioHook({ store, adapter: adapter(), log })(
      audioPayload(file, 'jf-changed'),
      AbortSignal.timeout(60_000),
    );
    expect(on?.summary).toBe('A steady tone.');
    expect(ollama.chats()).toBe(before + 1);
  });

  it('carries the stored transcript; the payload keeps an excerpt within 1000 characters and the embed shows it within limits', async () => {
    const file = await synthTone(join(dir, 'spoken.mp3'), 260);
    // What the audio processor stored: a long speech transcript with its timed segments.
    const sentences = Array.from(
      { length: 60 },
      (_, i) => `Sentence ${i + 1} of the harbour recording, spoken slowly.`,
    );
    const transcript = {
      text: sentences.join(' '),
      language: 'en',
      segments: sentences.map((text, i) => ({ start: i * 4, end: i * 4 + 3.5, text })),
      confidence: null,
      confidenceSource: 'none' as const,
      scope: 'windows' as const,
    };
    expect(transcript.text.length).toBeGreaterThan(3 * AUDIO_TRANSCRIPT_MAX_LENGTH);
    await store.upsert({
      itemId: 'jf-spoken',
      summary: 'A voice reads numbered sentences.',
      tags: ['speech'],
      model: 'Qwen/Qwen2-Audio-7B-Instruct',
      backend: 'openai',
      promptVersion: 'v1',
      audioSha256: await sha256File(file),
      transcript,
      status: 'ok',
    });
    const before = ollama.chats();
    const out = await audioHook({ store, adapter: adapter(), log })(
      audioPayload(file, 'jf-spoken'),
      AbortSignal.timeout(60_000),
    );
    expect(ollama.chats()).toBe(before);
    expect(out?.transcript).toEqual(transcript);

    const enriched = withEnrichment(audioPayload(file, 'jf-spoken'), {
      audio: out!,
      generatedAt: '2026-12-01T00:00:00Z',
    });
    const excerpt = enriched.meta?.audio_transcript as string;
    expect([...excerpt].length).toBeLessThanOrEqual(AUDIO_TRANSCRIPT_MAX_LENGTH);
    expect(excerpt.startsWith('Sentence 1 of the harbour recording')).toBe(true);
    expect(excerpt.endsWith('…')).toBe(true);
    const body = formatPublishedEmbed(enriched);
    expect(checkDiscordLimits(body)).toEqual([]);
    const field = body.embeds?.[0]?.fields?.find((f) => f.name === 'Audio transcript');
    expect(field?.value).toContain('Sentence 1 of the harbour recording');
    expect([...field!.value].length).toBeLessThanOrEqual(1024);
  });

  it('finds the analysis of the same bytes stored under another item by content hash, calling no model', async () => {
    const original = await synthTone(join(dir, 'processed.mp3'), 610);
    const published = join(dir, 'published-copy.mp3');
    await copyFile(original, published);
    const sha = await sha256File(original);
    // The audio processor stored it under its Jellyfin id; the approval does not name that id.
    await store.upsert({
      itemId: 'jf-processed',
      summary: 'Analysed by the audio processor.',
      tags: ['processor'],
      model: 'Qwen/Qwen2-Audio-7B-Instruct',
      backend: 'openai',
      promptVersion: 'v1',
      audioSha256: sha,
      status: 'ok',
    });
    const asked: string[] = [];
    const findByContentHash = async (h: string): Promise<StoredAudioAnalysis | null> => {
      asked.push(h);
      return h === sha ? store.get('jf-processed') : null;
    };
    const before = ollama.chats();
    const out = await audioHook({ store, findByContentHash, adapter: adapter(), log })(
      audioPayload(published),
      AbortSignal.timeout(60_000),
    );
    expect(asked).toEqual([sha]);
    expect(out?.summary).toBe('Analysed by the audio processor.');
    expect(ollama.chats()).toBe(before);
    // Nothing new was stored under the published path.
    expect(await store.get(published)).toBeNull();
  });

  it('does not try to decode an image', async () => {
    const png = join(dir, 'x.png');
    await copyFile(join(IMAGES, 'coffee.png'), png);
    const before = ollama.chats();
    const out = await audioHook({ store, adapter: adapter(), log })(
      payloadWith({}, { published_path: png }),
      AbortSignal.timeout(10_000),
    );
    expect(out).toBeUndefined();
    expect(ollama.chats()).toBe(before);
    expect(await store.get(png)).toBeNull();
  });
});
