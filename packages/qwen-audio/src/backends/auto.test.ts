// QWEN_AUDIO_BACKEND=auto against loopback stand-ins of each server kind (Ollama, vLLM,
// llama-server) and against a server that is none of them; the honest default for Ollama.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQwenAudioAdapter } from '../adapter/create';
import { DEFAULT_QWEN_MODEL } from '../adapter/options';
import type { AnalysisResult } from '../schema';
import { makeTmpDir, synth, tone } from '../../test/helpers/fixtures';
import {
  OLLAMA_AUDIO_MODEL,
  OLLAMA_QWEN2_AUDIO_GGUF,
  OLLAMA_QWEN2_AUDIO_GGUF_CAPABILITIES,
  fakeOllama,
  fakeOpenAI,
  replyJson,
  sendJson,
  startServer,
} from '../../test/helpers/http';
import type { OpenAIChatBody, TestServer } from '../../test/helpers/http';

let tmp: { dir: string; cleanup: () => Promise<void> };
let clip: string;
let server: TestServer | undefined;
beforeAll(async () => {
  tmp = await makeTmpDir();
  clip = await synth(join(tmp.dir, 'clip.wav'), tone(500, 2));
});
afterAll(() => tmp?.cleanup());
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const paths = (s: TestServer) => s.requests.map((r) => `${r.method} ${r.path}`);

describe('backend auto: asks the server what it is', () => {
  it('Ollama (GET /api/version) → the native protocol', async () => {
    server = await fakeOllama({
      models: { [OLLAMA_AUDIO_MODEL]: ['completion', 'audio'] },
      chat: () => ({ content: replyJson() }),
    });
    const adapter = createQwenAudioAdapter({ url: server.url, model: OLLAMA_AUDIO_MODEL, enabled: true });
    expect(adapter.backend).toBe('auto');
    const r = (await adapter.analyze(clip)) as AnalysisResult;
    expect(r.backend).toBe('ollama');
    expect(adapter.backend).toBe('ollama');
    expect(adapter.server).toBe(`Ollama at ${server.url}`);
    expect(paths(server)).toEqual(['GET /api/version', 'POST /api/show', 'POST /api/chat']);
  });

  it("vLLM (no /api/version, no /props, GET /v1/models) → the OpenAI protocol at /v1, audio as input_audio or vLLM's audio_url", async () => {
    for (const audioContent of ['input_audio', 'audio_url'] as const) {
      server = await fakeOpenAI({
        models: [{ id: DEFAULT_QWEN_MODEL }],
        chat: () => ({ content: replyJson() }),
      });
      const adapter = createQwenAudioAdapter({ url: `${server.url}/v1`, enabled: true, audioContent });
      const r = (await adapter.analyze(clip)) as AnalysisResult;
      expect(r).toMatchObject({ backend: 'openai', model: DEFAULT_QWEN_MODEL });
      expect(adapter.server).toBe(`vLLM or another OpenAI-compatible server at ${server.url}/v1`);
      expect(paths(server)).toEqual([
        'GET /api/version',
        'GET /props',
        'GET /v1/models',
        'GET /v1/models', // the capability check: the model is served and its id names an audio model
        'POST /v1/chat/completions',
      ]);
      const body = server.requests.at(-1)!.json as OpenAIChatBody;
      const part = (
        body.messages.at(-1)!.content as Exclude<OpenAIChatBody['messages'][number]['content'], string>
      )[1]!;
      expect(part.type).toBe(audioContent);
      if (audioContent === 'audio_url') expect(part.audio_url!.url).toMatch(/^data:audio\/wav;base64,UklGR/);
      await server.close();
      server = undefined;
    }
  });

  it('llama-server (GET /props) → the OpenAI protocol, audio decided by modalities.audio', async () => {
    server = await fakeOpenAI({
      flavour: 'llama-server',
      models: [{ id: DEFAULT_QWEN_MODEL }],
      modalities: { vision: false, audio: true },
      chat: () => ({ content: replyJson() }),
    });
    const adapter = createQwenAudioAdapter({ url: server.url, enabled: true });
    const r = (await adapter.analyze(clip)) as AnalysisResult;
    expect(r.backend).toBe('openai');
    expect(adapter.server).toBe(`llama-server at ${server.url}/v1`);
    expect(paths(server)).toEqual([
      'GET /api/version',
      'GET /props',
      'GET /v1/models',
      'GET /props',
      'POST /v1/chat/completions',
    ]);
    await server.close();
    // The same server without an audio projector is refused before any audio is sent.
    server = await fakeOpenAI({
      flavour: 'llama-server',
      models: [{ id: DEFAULT_QWEN_MODEL }],
      modalities: { vision: true, audio: false },
      chat: () => ({ content: replyJson() }),
    });
    const blind = createQwenAudioAdapter({ url: server.url, enabled: true });
    await expect(blind.analyze(clip)).rejects.toMatchObject({
      code: 'no-audio-capability',
      message: expect.stringContaining('--mmproj'),
    });
    expect(paths(server)).not.toContain('POST /v1/chat/completions');
  });

  it('refuses a server that is none of them, listing what it tried and what answered', async () => {
    server = await startServer((req, res) => {
      if (req.path === '/props') sendJson(res, 200, { hello: 'world' });
      else res.writeHead(404).end('<html>not here</html>');
    });
    const adapter = createQwenAudioAdapter({ url: server.url, enabled: true });
    const err = await adapter.analyze(clip).catch((e) => e);
    expect(err).toMatchObject({ code: 'backend' });
    expect(err.message).toContain('not Ollama, llama-server or an OpenAI-compatible server');
    expect(err.message).toContain(`GET ${server.url}/api/version → HTTP 404`);
    expect(err.message).toContain(`GET ${server.url}/props → HTTP 200, not llama-server's`);
    expect(err.message).toContain(`GET ${server.url}/v1/models → HTTP 404`);
    expect(err.message).toContain('QWEN_AUDIO_URL');
  });

  it('names the URL and QWEN_AUDIO_URL when nothing listens, and asks for QWEN_AUDIO_API_KEY when the server wants one', async () => {
    const closed = await startServer(() => undefined);
    const url = closed.url;
    await closed.close();
    const err = await createQwenAudioAdapter({ url, enabled: true })
      .checkCapability()
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'backend' });
    expect(err.message).toContain(url);
    expect(err.message).toContain('QWEN_AUDIO_URL');

    server = await fakeOpenAI({
      models: [{ id: DEFAULT_QWEN_MODEL }],
      apiKey: 'sk-vllm',
      chat: () => ({ content: replyJson() }),
    });
    const noKey = await createQwenAudioAdapter({ url: server.url, enabled: true })
      .checkCapability()
      .catch((e) => e);
    expect(noKey.message).toMatch(/HTTP 401.*set QWEN_AUDIO_API_KEY/);
    await createQwenAudioAdapter({ url: server.url, enabled: true, apiKey: 'sk-vllm' }).checkCapability();
  });
});

describe('honest defaults', () => {
  it("refuses upstream's Qwen2-Audio GGUF on an Ollama stand-in that reports it as real Ollama does (no audio)", async () => {
    expect(OLLAMA_QWEN2_AUDIO_GGUF_CAPABILITIES).not.toContain('audio');
    server = await fakeOllama({
      models: { [OLLAMA_QWEN2_AUDIO_GGUF]: OLLAMA_QWEN2_AUDIO_GGUF_CAPABILITIES },
      chat: () => ({ content: replyJson() }),
    });
    for (const backend of ['auto', 'ollama'] as const) {
      const adapter = createQwenAudioAdapter({
        backend,
        url: server.url,
        model: OLLAMA_QWEN2_AUDIO_GGUF,
        enabled: true,
      });
      const err = await adapter.analyze(clip).catch((e) => e);
      expect(err).toMatchObject({ code: 'no-audio-capability' });
      expect(err.message).toContain(
        `Ollama reports capabilities [completion] for "${OLLAMA_QWEN2_AUDIO_GGUF}", without "audio"`,
      );
      expect(err.message).toMatch(/vLLM.*llama-server.*ollama\/ollama#11798/s);
    }
    expect(server.requests.filter((r) => r.path === '/api/chat')).toHaveLength(0);
  });

  it('the default model and backend suit the server that hears Qwen2-Audio: vLLM, asked with auto', () => {
    const adapter = createQwenAudioAdapter({ enabled: true });
    expect(adapter).toMatchObject({
      model: 'Qwen/Qwen2-Audio-7B-Instruct',
      backend: 'auto',
      url: 'http://127.0.0.1:8000',
    });
  });
});
