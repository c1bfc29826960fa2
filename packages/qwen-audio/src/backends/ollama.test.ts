import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQwenAudioAdapter } from '../adapter/create';
import { createQwenAudioAdapterFromEnv } from '../config/compose';
import type { QwenAudioAdapterOptions } from '../adapter/options';
import { parseWavHeader } from '../audio/wav';
import { MAX_SUMMARY_CHARS, MAX_TAGS, analysisResultSchema } from '../schema';
import type { AnalysisResult } from '../schema';
import { makeTmpDir, synth, tone } from '../../test/helpers/fixtures';
import { OLLAMA_AUDIO_MODEL, fakeOllama, replyJson } from '../../test/helpers/http';
import type { CannedReply, OllamaChatBody, TestServer } from '../../test/helpers/http';

// A model Ollama passes audio to; the Qwen2-Audio GGUF is refused (see the honest-default test).
const MODEL = OLLAMA_AUDIO_MODEL;
let dir: string;
let cleanup: () => Promise<void>;
let short: string;
let long: string;
let server: TestServer | undefined;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTmpDir());
  short = await synth(join(dir, 'short.mp3'), tone(440, 3));
  long = await synth(join(dir, 'long.flac'), tone(880, 10));
});
afterAll(() => cleanup?.());
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(
  chat: (n: number, body: Record<string, unknown>) => CannedReply,
  caps = ['completion', 'audio'],
  extra: QwenAudioAdapterOptions = {},
) {
  server = await fakeOllama({ models: { [MODEL]: caps }, chat });
  const adapter = createQwenAudioAdapter({
    backend: 'ollama',
    url: server.url,
    model: MODEL,
    enabled: true,
    ...extra,
  });
  return { adapter, server };
}
const chats = (s: TestServer) => s.requests.filter((r) => r.path === '/api/chat');

describe('Ollama backend through the real ollama client', () => {
  it('checks capabilities, sends the WAV in images with format/think/temperature/keep_alive, and uses logprobs for confidence', async () => {
    const { adapter, server: s } = await setup(
      () => ({ content: replyJson(), logprobs: [Math.log(0.9), Math.log(0.9)] }),
      ['completion', 'audio'],
      { keepAlive: '10m' },
    );
    const result = (await adapter.analyze(short)) as AnalysisResult;
    expect(analysisResultSchema.parse(result)).toEqual(result);
    expect(s.requests.map((r) => r.path)).toEqual(['/api/show', '/api/chat']);
    expect(s.requests[0]!.json).toMatchObject({ model: MODEL });
    const body = chats(s)[0]!.json as OllamaChatBody;
    expect(body).toMatchObject({
      model: MODEL,
      stream: false,
      think: false,
      keep_alive: '10m',
      options: { temperature: 0 },
      logprobs: true,
    });
    expect(body.format).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['summary', 'tags', 'mood']),
    });
    expect(body.messages[0]!.role).toBe('system');
    const user = body.messages[1]!;
    expect(user.role).toBe('user');
    expect(user.content).toMatch(/3-second recording/);
    expect(user.content).toMatch(/spectral centroid 4\d\d Hz/);
    expect(user.images).toHaveLength(1);
    const wav = Buffer.from(user.images![0]!, 'base64');
    expect(parseWavHeader(wav)).toMatchObject({ channels: 1, sampleRate: 16000, bitsPerSample: 16 });
    expect(Math.abs(parseWavHeader(wav).dataBytes / 32000 - 3)).toBeLessThan(0.1);
    expect(result).toMatchObject({
      status: 'ok',
      summary: 'A steady electronic tone with no vocals.',
      tags: ['electronic', 'tone', 'test-signal'],
      mood: 'calm',
      confidenceSource: 'logprobs',
      language: null,
      model: MODEL,
      backend: 'ollama',
      promptVersion: 'qwen-audio-v2',
    });
    expect(result.confidence).toBeCloseTo(0.9, 10);
    expect(result.audio.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.features!.scope).toBe('full');
    expect(Math.abs(result.features!.spectral_centroid_mean - 440)).toBeLessThan(40);
  });

  it('checks the capability only once across analyses', async () => {
    const { adapter, server: s } = await setup(() => ({ content: replyJson() }));
    await adapter.analyze(short);
    await adapter.analyze(await readFile(short));
    expect(s.requests.filter((r) => r.path === '/api/show')).toHaveLength(1);
    expect(chats(s)).toHaveLength(2);
  });

  it('refuses a model without the audio capability before sending any audio, naming the backends that serve Qwen2-Audio', async () => {
    const { adapter, server: s } = await setup(() => ({ content: replyJson() }), ['completion']);
    const err = await adapter.analyze(short).catch((e) => e);
    expect(err).toMatchObject({ code: 'no-audio-capability' });
    expect(err.message).toMatch(/vLLM/);
    expect(err.message).toMatch(/llama-server/);
    expect(err.message).toMatch(/ollama\/ollama#11798/);
    expect(chats(s)).toHaveLength(0);
  });

  it('turns /api/show 404 into model-not-found naming the pull command', async () => {
    server = await fakeOllama({ models: {}, chat: () => ({ content: replyJson() }) });
    const adapter = createQwenAudioAdapter({
      backend: 'ollama',
      url: server.url,
      model: 'qwen2-audio:7b',
      enabled: true,
    });
    const err = await adapter.analyze(short).catch((e) => e);
    expect(err).toMatchObject({ code: 'model-not-found' });
    expect(err.message).toContain('`ollama pull qwen2-audio:7b`');
  });

  it('turns a /api/chat 404 (model removed after the check) into model-not-found', async () => {
    const { adapter } = await setup(() => ({
      status: 404,
      error: `model "${MODEL}" not found, try pulling it first`,
    }));
    await expect(adapter.analyze(short)).rejects.toMatchObject({
      code: 'model-not-found',
      message: expect.stringContaining(`ollama pull ${MODEL}`),
    });
  });

  it('reports a 500 as a backend error with the status, without retrying', async () => {
    const { adapter, server: s } = await setup(() => ({
      status: 500,
      error: 'llama runner process has terminated',
    }));
    const err = await adapter.analyze(short).catch((e) => e);
    expect(err).toMatchObject({ code: 'backend' });
    expect(err.message).toMatch(/HTTP 500.*llama runner/);
    expect(chats(s)).toHaveLength(1);
  });

  it('times out a reply slower than timeoutMs', async () => {
    const { adapter } = await setup(() => ({ content: replyJson(), delayMs: 3000 }), undefined, {
      timeoutMs: 200,
    });
    const t0 = Date.now();
    await expect(adapter.analyze(short)).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('retries once with a stricter prompt after a non-JSON reply', async () => {
    const { adapter, server: s } = await setup((n) => ({
      content: n === 0 ? 'This audio sounds like a pleasant tone.' : '```json\n' + replyJson() + '\n```',
    }));
    const result = (await adapter.analyze(short)) as AnalysisResult;
    expect(result.chunks[0]!.attempts).toBe(2);
    const second = (chats(s)[1]!.json as OllamaChatBody).messages[1]!.content as string;
    expect(second).toMatch(/previous reply was rejected: the reply contained no JSON object/);
    expect(second).toMatch(/ONLY the JSON object/);
    expect(result.summary).toBe('A steady electronic tone with no vocals.');
  });

  it('throws bad-output (never a made-up result) after an empty reply and a second invalid one', async () => {
    const { adapter, server: s } = await setup((n) => ({ content: n === 0 ? '' : '{"summary": "x"}' }));
    const err = await adapter.analyze(short).catch((e) => e);
    expect(err).toMatchObject({ code: 'bad-output' });
    expect(err.message).toMatch(/after a stricter retry.*mood/);
    expect(chats(s)).toHaveLength(2);
    expect((chats(s)[1]!.json as OllamaChatBody).messages[1]!.content).toMatch(/the reply was empty/);
  });

  it('uses the model-reported confidence clamped to [0,1] when no logprobs come back', async () => {
    const { adapter } = await setup(() => ({ content: replyJson({ confidence: 1.7 }) }));
    const r = (await adapter.analyze(short)) as AnalysisResult;
    expect(r).toMatchObject({ confidence: 1, confidenceSource: 'model' });
  });

  it('accepts and normalises what is normalised anyway: confidence null, 80 tags, a language name, a 6 000-character summary', async () => {
    const long = `${'A long description of a steady tone. '.repeat(170)}`.trim();
    expect(long.length).toBeGreaterThan(6000);
    const { adapter, server: s } = await setup(() => ({
      content: replyJson({
        confidence: null,
        tags: Array.from({ length: 80 }, (_, i) => `Tag ${i}`),
        language: 'English (United States)',
        summary: long,
        mood: 'Calm and Quiet',
      }),
    }));
    const r = (await adapter.analyze(short)) as AnalysisResult;
    expect(chats(s)).toHaveLength(1); // accepted at the first call, no stricter retry
    expect(r.chunks[0]!.attempts).toBe(1);
    expect(r.tags).toEqual(Array.from({ length: MAX_TAGS }, (_, i) => `tag ${i}`));
    expect(r.language).toBe('en');
    expect(r.summary.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
    expect(r.summary.endsWith('…')).toBe(true);
    expect(long.startsWith(r.summary.slice(0, -1).trimEnd())).toBe(true);
    expect(r).toMatchObject({ mood: 'calm and quiet', confidence: null, confidenceSource: 'none' });
  });

  it('normalises language codes and names, and drops what it cannot read instead of failing', async () => {
    const replies = [
      replyJson({ language: 'en-US', confidence: '0.6' }),
      replyJson({ language: 'Deutsch', tags: 'rock, Jazz', confidence: null }),
      replyJson({ language: 'Klingon', confidence: 'very sure', tags: [1, 'ok', null] }),
    ];
    const { adapter } = await setup((n) => ({ content: replies[n]! }), undefined, {
      windowSeconds: 2,
      maxWindows: 3,
    });
    const r = (await adapter.analyze(long)) as AnalysisResult;
    expect(r.chunks.map((c) => c.language)).toEqual(['en', 'de', null]);
    expect(r.chunks.map((c) => c.confidenceSource)).toEqual(['model', 'none', 'none']);
    expect(r.chunks[0]!.confidence).toBe(0.6);
    expect(r.chunks[1]!.tags).toEqual(['rock', 'jazz']);
    expect(r.chunks[2]!.tags).toEqual(['ok']);
    expect(r.chunks.every((c) => c.attempts === 1)).toBe(true);
  });

  it('fails a window as bad-output only when the reply has no usable summary or mood', async () => {
    for (const bad of [
      { summary: '   ', tags: ['x'], mood: 'calm' },
      { tags: ['x'], mood: 'calm' },
      { summary: 'A tone.', tags: ['x'], mood: '' },
      { summary: 'A tone.', tags: ['x'], mood: 42 },
    ]) {
      const { adapter, server: s } = await setup(() => ({ content: JSON.stringify(bad) }));
      const err = await adapter.analyze(short).catch((e) => e);
      expect(err, JSON.stringify(bad)).toMatchObject({ code: 'bad-output' });
      expect(err.message).toMatch(/summary|mood/);
      expect(chats(s)).toHaveLength(2);
      await s.close();
      server = undefined;
    }
  });

  it('analyses a bounded, evenly spread set of windows and merges them; agreement confidence when none reported', async () => {
    const replies = [
      { summary: 'Tone A.', tags: ['tone', 'sine'], mood: 'calm' },
      { summary: 'Tone B.', tags: ['tone', 'beep'], mood: 'calm' },
      { summary: 'Tone C.', tags: ['tone'], mood: 'tense' },
    ];
    const { adapter, server: s } = await setup((n) => ({ content: JSON.stringify(replies[n]) }), undefined, {
      windowSeconds: 2,
      maxWindows: 3,
    });
    const r = (await adapter.analyze(long)) as AnalysisResult;
    expect(chats(s)).toHaveLength(3);
    expect(r.chunks.map((c) => c.startSeconds)).toEqual([0.667, 4, 7.333]);
    expect(r.tags[0]).toBe('tone');
    expect(r.mood).toBe('calm');
    expect(r.summary).toBe('Tone A.');
    expect(r.confidenceSource).toBe('agreement');
    expect(r.confidence).toBeGreaterThan(0);
    expect(r.confidence).toBeLessThan(1);
    expect(r.features!.scope).toBe('windows');
    expect(r.features!.analysed_seconds).toBeCloseTo(6, 1);
    expect(r.features!.duration).toBeCloseTo(10, 1);
    const prompts = chats(s).map((c) => (c.json as OllamaChatBody).messages[1]!.content as string);
    expect(prompts[1]).toMatch(/section 2 of 3/);
  });

  it('merges summaries with one text-only model call when summaryMerge is model', async () => {
    const { adapter, server: s } = await setup(
      (n) => ({
        content:
          n < 2 ? replyJson({ summary: `part ${n}` }) : JSON.stringify({ summary: 'One merged summary.' }),
      }),
      undefined,
      { windowSeconds: 5, maxWindows: 2, summaryMerge: 'model' },
    );
    const r = (await adapter.analyze(long)) as AnalysisResult;
    expect(r.summary).toBe('One merged summary.');
    const merge = chats(s)[2]!.json as OllamaChatBody;
    expect(merge.messages[1]!.images).toBeUndefined();
    expect(merge.messages[1]!.content).toMatch(/1\. part 0\n2\. part 1/);
  });

  it('aborts an in-flight analysis', async () => {
    const { adapter } = await setup(() => ({ content: replyJson(), delayMs: 3000 }));
    const ac = new AbortController();
    const p = adapter.analyze(short, { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await expect(p).rejects.toMatchObject({ code: 'aborted' });
  });

  it('reports a missing input file as invalid-input naming the path', async () => {
    const { adapter } = await setup(() => ({ content: replyJson() }));
    await expect(adapter.analyze(join(dir, 'missing.mp3'))).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining('missing.mp3'),
    });
    await expect(adapter.analyze(new Uint8Array(0))).rejects.toMatchObject({ code: 'invalid-input' });
  });

  it('returns skipped and calls nothing when the toggle is off', async () => {
    server = await fakeOllama({ models: { [MODEL]: ['audio'] }, chat: () => ({ content: replyJson() }) });
    const adapter = createQwenAudioAdapter({
      backend: 'ollama',
      url: server.url,
      model: MODEL,
    });
    expect(adapter.enabled).toBe(false); // off unless asked for
    const r = await adapter.analyze(join(dir, 'does-not-even-exist.mp3'));
    expect(r).toEqual({
      status: 'skipped',
      reason: expect.stringMatching(/JELLYFIN_AUDIO_QWEN_ENABLE/),
      model: MODEL,
      backend: 'ollama',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('is configured from the environment by createQwenAudioAdapterFromEnv, and rejects bad options naming the field', async () => {
    server = await fakeOllama({
      models: { 'qwen-alias': ['audio'] },
      chat: () => ({ content: replyJson() }),
    });
    const warnings: string[] = [];
    const adapter = createQwenAudioAdapterFromEnv(
      {
        JELLYFIN_AUDIO_QWEN_ENABLE: 'yes',
        QWEN_AUDIO_BACKEND: 'ollama',
        QWEN_AUDIO_URL: server.url,
        QWEN_AUDIO_MODEL: 'qwen-alias',
      },
      {},
      { onWarning: (w) => warnings.push(w) },
    );
    expect(adapter).toMatchObject({ enabled: true, model: 'qwen-alias', backend: 'ollama', url: server.url });
    expect(warnings).toEqual([expect.stringMatching(/QWEN_AUDIO_MODEL is deprecated; use QWEN_MODEL_NAME/)]);
    expect(((await adapter.analyze(short)) as AnalysisResult).model).toBe('qwen-alias');
    expect(() => createQwenAudioAdapter({ windowSeconds: 45 })).toThrow(/options\.windowSeconds/);
    expect(() => createQwenAudioAdapter({ url: 'ftp://x' })).toThrow(/options\.url.*http\(s\)/);
  });
});
