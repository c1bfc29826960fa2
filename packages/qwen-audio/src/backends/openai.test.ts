import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQwenAudioAdapter } from '../adapter/create';
import type { QwenAudioAdapterOptions } from '../adapter/options';
import { parseWavHeader } from '../audio/wav';
import type { AnalysisResult } from '../schema';
import { makeTmpDir, synth, tone } from '../../test/helpers/fixtures';
import { fakeOpenAI, replyJson } from '../../test/helpers/http';
import type { CannedReply, OpenAIChatBody, TestServer } from '../../test/helpers/http';

const MODEL = 'Qwen/Qwen2-Audio-7B-Instruct';
let dir: string;
let cleanup: () => Promise<void>;
let clip: string;
let server: TestServer | undefined;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTmpDir());
  clip = await synth(join(dir, 'clip.ogg'), tone(660, 2, 48000), ['-c:a', 'libopus']);
});
afterAll(() => cleanup?.());
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(
  chat: (n: number) => CannedReply,
  models: Array<{ id: string; capabilities?: string[] }> = [{ id: MODEL }],
  extra: QwenAudioAdapterOptions = {},
) {
  server = await fakeOpenAI({ models, chat });
  const adapter = createQwenAudioAdapter({
    backend: 'openai',
    url: `${server.url}/v1`,
    model: MODEL,
    apiKey: 'sk-test',
    enabled: true,
    ...extra,
  });
  return { adapter, server };
}
const chats = (s: TestServer) => s.requests.filter((r) => r.path === '/v1/chat/completions');

describe('OpenAI-compatible backend through the real openai client', () => {
  it('lists models, sends an input_audio WAV part with json_schema response_format, temperature 0 and logprobs', async () => {
    const { adapter, server: s } = await setup(() => ({
      content: replyJson({ language: 'EN' }),
      logprobs: [Math.log(0.8)],
    }));
    const r = (await adapter.analyze(clip)) as AnalysisResult;
    expect(s.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'GET /v1/models',
      'GET /props', // llama-server probe; vLLM answers 404 and the model id decides
      'POST /v1/chat/completions',
    ]);
    const req = chats(s)[0]!;
    expect(req.headers.authorization).toBe('Bearer sk-test');
    const body = req.json as OpenAIChatBody;
    expect(body).toMatchObject({
      model: MODEL,
      temperature: 0,
      logprobs: true,
      response_format: { type: 'json_schema', json_schema: { name: 'qwen_audio_analysis' } },
    });
    expect(body.response_format!.json_schema.schema.properties).toHaveProperty('tags');
    const parts = body.messages[1]!.content as Exclude<OpenAIChatBody['messages'][number]['content'], string>;
    expect(parts[0]).toMatchObject({ type: 'text' });
    expect(parts[1]).toMatchObject({ type: 'input_audio', input_audio: { format: 'wav' } });
    const wav = Buffer.from(parts[1]!.input_audio!.data, 'base64');
    expect(parseWavHeader(wav)).toMatchObject({ channels: 1, sampleRate: 16000 });
    expect(r).toMatchObject({ backend: 'openai', confidenceSource: 'logprobs', language: 'en' });
    expect(r.confidence).toBeCloseTo(0.8, 10);
  });

  it('reports a model the server does not list as model-not-found, listing what it serves', async () => {
    const { adapter, server: s } = await setup(() => ({ content: replyJson() }), [{ id: 'other-model' }]);
    const err = await adapter.analyze(clip).catch((e) => e);
    expect(err).toMatchObject({ code: 'model-not-found' });
    expect(err.message).toMatch(/serves: other-model/);
    expect(err.message).toContain(`ollama pull ${MODEL}`);
    expect(chats(s)).toHaveLength(0);
  });

  it('refuses a listed model that does not take audio, unless assumeAudioCapable is set', async () => {
    const models = [{ id: MODEL }, { id: 'llama-3.1-8b' }];
    let s = await setup(() => ({ content: replyJson() }), models, { model: 'llama-3.1-8b' });
    const err = await s.adapter.analyze(clip).catch((e) => e);
    expect(err).toMatchObject({ code: 'no-audio-capability' });
    expect(err.message).toMatch(/vLLM.*llama-server/s);
    expect(chats(s.server)).toHaveLength(0);
    await s.server.close();
    s = await setup(() => ({ content: replyJson() }), models, {
      model: 'llama-3.1-8b',
      assumeAudioCapable: true,
    });
    expect(((await s.adapter.analyze(clip)) as AnalysisResult).model).toBe('llama-3.1-8b');
  });

  it("follows llama-server's /props modalities: audio true accepts any id, audio false refuses even an audio id", async () => {
    server = await fakeOpenAI({
      models: [{ id: 'model.gguf' }],
      chat: () => ({ content: replyJson() }),
      modalities: { vision: false, audio: true },
    });
    let adapter = createQwenAudioAdapter({
      backend: 'openai',
      url: `${server.url}/v1`,
      model: 'model.gguf',
      enabled: true,
    });
    expect(((await adapter.analyze(clip)) as AnalysisResult).status).toBe('ok');
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/models', '/props', '/v1/chat/completions']);
    await server.close();
    server = await fakeOpenAI({
      models: [{ id: MODEL }],
      chat: () => ({ content: replyJson() }),
      modalities: { vision: true, audio: false },
    });
    adapter = createQwenAudioAdapter({
      backend: 'openai',
      url: `${server.url}/v1`,
      model: MODEL,
      enabled: true,
    });
    await expect(adapter.analyze(clip)).rejects.toMatchObject({
      code: 'no-audio-capability',
      message: expect.stringContaining('--mmproj'),
    });
  });

  it('accepts a model whose /v1/models entry lists an audio capability', async () => {
    const { adapter } = await setup(
      () => ({ content: replyJson() }),
      [{ id: 'custom-listener', capabilities: ['completion', 'audio'] }],
      { model: 'custom-listener' },
    );
    expect(((await adapter.analyze(clip)) as AnalysisResult).status).toBe('ok');
  });

  it('maps a chat 404 to model-not-found and a 500 to a backend error', async () => {
    let s = await setup(() => ({ status: 404, error: `The model \`${MODEL}\` does not exist.` }));
    await expect(s.adapter.analyze(clip)).rejects.toMatchObject({
      code: 'model-not-found',
      message: expect.stringContaining(`vllm serve ${MODEL}`),
    });
    await s.server.close();
    s = await setup(() => ({ status: 500, error: 'CUDA out of memory' }));
    const err = await s.adapter.analyze(clip).catch((e) => e);
    expect(err).toMatchObject({ code: 'backend' });
    expect(err.message, err.message).toMatch(/HTTP 500.*CUDA out of memory/);
    expect(chats(s.server)).toHaveLength(1);
  });

  it('times out a slow reply', async () => {
    const { adapter } = await setup(() => ({ content: replyJson(), delayMs: 3000 }), undefined, {
      timeoutMs: 200,
    });
    await expect(adapter.analyze(clip)).rejects.toMatchObject({ code: 'timeout' });
  });

  it('retries a chatty non-JSON reply once, then fails with bad-output on a second', async () => {
    const { adapter, server: s } = await setup(() => ({
      content: 'The clip features a sustained tone. Mood: calm.',
    }));
    await expect(adapter.analyze(clip)).rejects.toMatchObject({ code: 'bad-output' });
    expect(chats(s)).toHaveLength(2);
  });
});
