// The example wiring with the real SDK engines underneath: @pmoves/rerank's CLIP provider on a
// generated tiny CLIP model (deterministic test weights — the match is asserted against the
// embedder's own cosines, not as a meaningful result) and @pmoves/qwen-audio through the real
// ollama client against a loopback server speaking Ollama's API, on audio synthesised by ffmpeg.
import { createClipEmbedder, cosineSimilarity } from '@pmoves/clip';
import { buildPublishedPayload, type PublishedPayload } from '@pmoves/publisher-meta';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModels, TINY_DIMS } from '../../packages/clip/scripts/generate-models';
import { makeTmpDir, synth, tone } from '../../packages/qwen-audio/test/helpers/fixtures';
import { fakeOllama, type TestServer } from '../../packages/qwen-audio/test/helpers/http';
import { audioHookFromEnv, clipHookFromEnv, imageCandidates } from '../src/enrichment';

type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

const here = fileURLToPath(new URL('.', import.meta.url));
const SHARED = resolve(here, '../../../shared/fixtures');
const MODEL_ROOT = resolve(here, '../.models/tiny');
const MODEL = 'qwen2-audio-test';

let images: Server;
let imagesUrl: string;
let ollama: TestServer;
let tmp: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  ensureModels({
    outDir: MODEL_ROOT,
    dims: TINY_DIMS,
    fixturesDir: join(SHARED, 'clip-vit-b32'),
    layouts: ['xenova-split'],
    dtypes: ['fp32'],
  });
  images = createServer((req, res) => {
    readFile(join(SHARED, 'images', (req.url ?? '/').slice(1)))
      .then((b) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(b))
      .catch(() => res.writeHead(404).end());
  });
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', r));
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  ollama = await fakeOllama({
    models: { [MODEL]: ['completion', 'audio'] },
    chat: () => ({
      content: JSON.stringify({
        summary: 'A steady tone.',
        tags: ['Tone', 'test'],
        mood: 'neutral',
        confidence: 0.7,
      }),
    }),
  });
  tmp = await makeTmpDir();
});
afterAll(async () => {
  await new Promise<void>((r) => images.close(() => r()));
  await ollama.close();
  await tmp.cleanup();
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

describe('enrichment hooks on the real engines', () => {
  it('CLIP hook returns the frame whose embedding is closest to the title, and skips broken frames', async () => {
    const env = {
      CLIP_MODEL_PATH: join(MODEL_ROOT, 'xenova-split'),
      CLIP_DEVICE: 'cpu',
      CLIP_DTYPE: 'fp32',
      CLIP_IMAGE_FETCH_ALLOWED_HOSTS: '127.0.0.1',
    };
    const frames = ['chelsea.jpg', 'coffee.png', 'rocket.jpg', 'not-an-image.jpg'].map((f, i) => ({
      id: `frame-${i}`,
      url: `${imagesUrl}/${f}`,
    }));
    const payload = payloadWith({ frames });
    expect(imageCandidates(payload).map((c) => c.id)).toEqual(frames.map((f) => f.id));

    const out = await clipHookFromEnv(env)(payload, AbortSignal.timeout(60_000));

    const embedder = await createClipEmbedder({
      modelPath: env.CLIP_MODEL_PATH,
      device: 'cpu',
      dtype: 'fp32',
    });
    try {
      const [q] = await embedder.embedTexts(['a photo of a cat']);
      const embs = await embedder.embedImages(
        ['chelsea.jpg', 'coffee.png', 'rocket.jpg'].map((f) => join(SHARED, 'images', f)),
      );
      const scores = embs.map((e) => cosineSimilarity(q!, e.embedding!));
      const best = scores.indexOf(Math.max(...scores));
      expect(out?.best_match.asset_id).toBe(`frame-${best}`);
      expect(out?.best_match.score).toBeCloseTo(scores[best]!, 5);
    } finally {
      await embedder.dispose();
    }
  });

  it('audio hook analyses the published file through the ollama client, and is absent when the toggle is off', async () => {
    const file = await synth(join(tmp.dir, 'item.mp3'), tone(440, 4));
    const env = { JELLYFIN_AUDIO_QWEN_ENABLE: 'true', QWEN_AUDIO_URL: ollama.url, QWEN_MODEL_NAME: MODEL };
    const hook = audioHookFromEnv(env, { backend: 'ollama' });
    const res = await hook!(payloadWith({}, { published_path: file }), AbortSignal.timeout(60_000));
    expect(res).toMatchObject({ summary: 'A steady tone.', tags: ['tone', 'test'], mood: 'neutral' });
    const chat = ollama.requests.find((r) => r.path === '/api/chat')!.json as {
      messages: { images?: string[] }[];
    };
    const wav = Buffer.from(chat.messages.at(-1)!.images![0]!, 'base64');
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');

    expect(audioHookFromEnv({ ...env, JELLYFIN_AUDIO_QWEN_ENABLE: 'false' })).toBeUndefined();
  });
});
