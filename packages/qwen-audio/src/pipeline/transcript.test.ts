// Acceptance for transcripts (issue 22): an espeak-ng clip of six sentences over more than 30 s, with
// silences and a music-like tone, through a loopback stand-in for vLLM's OpenAI-compatible server,
// driven by the real openai client. The stand-in is honest: for each transcription request it finds
// where the audio it received sits in the clip (by matching the samples) and answers the words the
// script puts in that span — it never sees what the test expects.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQwenAudioAdapter } from '../adapter/create';
import type { QwenAudioAdapterOptions } from '../adapter/options';
import { DEFAULT_QWEN_MODEL } from '../adapter/options';
import type { AnalysisResult } from '../schema';
import { createPgliteStore } from '../store/pglite';
import { processItem } from './process';
import { makeTmpDir } from '../../test/helpers/fixtures';
import { fakeOpenAI, promptOf, sleep } from '../../test/helpers/http';
import type { TestServer } from '../../test/helpers/http';
import { SPOKEN_SCRIPT } from '../../test/helpers/script';
import { locate, makeSpokenClip, wavSamples, wordsHeard } from '../../test/helpers/speech';
import type { SpokenClip } from '../../test/helpers/speech';

let tmp: { dir: string; cleanup: () => Promise<void> };
let clip: SpokenClip;
let server: TestServer | undefined;
beforeAll(async () => {
  tmp = await makeTmpDir();
  clip = await makeSpokenClip(tmp.dir, SPOKEN_SCRIPT);
}, 120_000);
afterAll(() => tmp?.cleanup());
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const norm = (text: string) =>
  text
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}']/gu, ''))
    .filter(Boolean);
const SCRIPT_WORDS = norm(SPOKEN_SCRIPT.flatMap((s) => ('say' in s ? [s.say] : [])).join(' '));
const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));

/** How the stand-in behaves: which server it is, which model it serves, how it answers transcription calls. */
interface ScriptedServerOptions {
  /** Delay of each transcription reply, ms. */
  delayMs?: number;
  /** `llama-server`: `/props` with audio modalities, `input_audio` only, and no log-probabilities. */
  flavour?: 'vllm' | 'llama-server';
  /** The model id served (default the Instruct model). */
  model?: string;
  /** Answer as the base model does to its ASR prompt: a `<|en|>` language tag before the words. */
  asrReplies?: boolean;
  /** `language` of the analysis replies (default `en`). */
  analysisLanguage?: string | null;
}

/** The stand-in: analysis calls get a fixed labelled reply; transcription calls the words of their span. */
async function scriptedServer(opts: ScriptedServerOptions = {}) {
  const spans: Array<{ start: number; end: number }> = [];
  const prompts: Array<{ prompt: string; system: boolean }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const llama = opts.flavour === 'llama-server';
  server = await fakeOpenAI({
    models: [{ id: opts.model ?? DEFAULT_QWEN_MODEL }],
    ...(llama ? { modalities: { vision: false, audio: true } } : {}),
    chat: async (_n, body, audio) => {
      if (body.response_format) {
        return {
          content: JSON.stringify({
            summary: 'Stand-in reply: speech with a short musical interlude.',
            tags: ['speech'],
            mood: 'calm',
            language: opts.analysisLanguage === undefined ? 'en' : opts.analysisLanguage,
          }),
        };
      }
      const messages = (body.messages ?? []) as Array<{ role?: string }>;
      prompts.push({ prompt: promptOf(body), system: messages.some((m) => m.role === 'system') });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (opts.delayMs) await sleep(opts.delayMs);
        const pcm = wavSamples(audio!);
        const start = locate(pcm, clip.pcm);
        const span = { start, end: start + pcm.length / 16_000 };
        spans.push(span);
        const words = wordsHeard(clip.timeline, span.start, span.end);
        const content = opts.asrReplies ? `<|en|>${words.join(' ')}` : words.join(' ');
        if (llama) return { content };
        return { content, logprobs: words.length ? words.map(() => Math.log(0.9)) : [] };
      } finally {
        inFlight--;
      }
    },
  });
  return { spans, prompts, maxInFlight: () => maxInFlight };
}

async function transcribe(extra: QwenAudioAdapterOptions) {
  const adapter = createQwenAudioAdapter({ url: server!.url, enabled: true, ...extra });
  return (await adapter.analyze(clip.path)) as AnalysisResult;
}

function expectHonestTranscript(
  r: AnalysisResult,
  spans: Array<{ start: number; end: number }>,
  confidence: 'logprobs' | 'none' = 'logprobs',
) {
  const t = r.transcript!;
  expect(clip.durationSeconds).toBeGreaterThan(30);
  // The sentences, in order, each word once: nothing lost or repeated at any join.
  expect(norm(t.text)).toEqual(SCRIPT_WORDS);
  expect(norm(t.segments.map((s) => s.text).join(' '))).toEqual(SCRIPT_WORDS);
  let last = 0;
  for (const s of t.segments) {
    expect(s.start).toBeGreaterThanOrEqual(last);
    expect(s.end).toBeGreaterThan(s.start);
    expect(s.end).toBeLessThanOrEqual(clip.durationSeconds + 1e-6);
    last = s.end;
  }
  // No segment for the tone or the silences, and no transcription call spent on them.
  const speech = clip.timeline.filter((p) => p.kind === 'speech');
  for (const s of t.segments) {
    const voiced = speech.reduce((a, p) => a + overlap(s, p), 0);
    expect(voiced / (s.end - s.start), JSON.stringify(s)).toBeGreaterThan(0.8);
  }
  for (const span of spans)
    expect(
      speech.some((p) => overlap(span, p) > 0),
      JSON.stringify(span),
    ).toBe(true);
  const tone = clip.timeline.find((p) => p.kind === 'tone')!;
  expect(spans.every((span) => overlap(span, tone) < 0.3)).toBe(true);
  expect(t.language).toBe('en');
  expect(t.confidenceSource).toBe(confidence);
  if (confidence === 'logprobs') expect(t.confidence).toBeCloseTo(0.9, 6);
  else expect(t.confidence).toBeNull();
}

describe('transcripts through a vLLM stand-in (auto backend, real openai client)', () => {
  it('windows (default): the analysed 30 s windows, a sentence cut at 30 s joined once', async () => {
    const { spans } = await scriptedServer();
    const r = await transcribe({});
    expect(r.backend).toBe('openai');
    expect(r.chunks.map((c) => c.startSeconds)).toEqual([0, 30]);
    expect(r.transcript!.scope).toBe('full'); // two windows cover the item
    expectHonestTranscript(r, spans);
    const cut = r.transcript!.segments.find((s) => s.start < 30 && s.end > 30);
    expect(cut, 'the last sentence straddles the window boundary').toBeDefined();
  });

  it('full: overlapping windows, the words heard twice in each overlap kept once', async () => {
    const { spans } = await scriptedServer();
    const r = await transcribe({ transcript: 'full', windowSeconds: 7 });
    expectHonestTranscript(r, spans);
    // Windows of 7 s overlap by 2 s: some speech was sent twice, and still appears once.
    const heardTwice = spans.some((a, i) => spans.some((b, j) => i !== j && overlap(a, b) > 0.5));
    expect(heardTwice).toBe(true);
  });

  it('windows of 7 s: speech cut at several window boundaries joins without losing or repeating words', async () => {
    const { spans } = await scriptedServer();
    const r = await transcribe({ windowSeconds: 7 });
    expectHonestTranscript(r, spans);
    expect(r.chunks).toHaveLength(5);
  });

  it('full runs with bounded concurrency', async () => {
    for (const limit of [1, 3]) {
      const { spans, maxInFlight } = await scriptedServer({ delayMs: 80 });
      const r = await transcribe({ transcript: 'full', windowSeconds: 7, transcriptConcurrency: limit });
      expectHonestTranscript(r, spans);
      expect(maxInFlight()).toBeLessThanOrEqual(limit);
      if (limit === 1) expect(maxInFlight()).toBe(1);
      await server!.close();
      server = undefined;
    }
  });

  it('llama-server (input_audio only, no log-probabilities): the same transcript, its confidence null', async () => {
    const { spans, prompts } = await scriptedServer({ flavour: 'llama-server' });
    const adapter = createQwenAudioAdapter({ url: server!.url, enabled: true });
    const r = (await adapter.analyze(clip.path)) as AnalysisResult;
    expect(adapter.server).toMatch(/^llama-server at /);
    expect(r.backend).toBe('openai');
    expectHonestTranscript(r, spans, 'none');
    // The Instruct model is asked as Qwen2-Audio documents its chat use.
    expect(prompts.every((p) => p.system && /^What does the person say\?/.test(p.prompt))).toBe(true);
  });

  it("base model: its speech-recognition prompt, and the language from the reply's <|en|> tag", async () => {
    const { spans, prompts } = await scriptedServer({
      model: 'Qwen/Qwen2-Audio-7B',
      asrReplies: true,
      analysisLanguage: null,
    });
    const r = await transcribe({ model: 'Qwen/Qwen2-Audio-7B' });
    expect(r.language).toBeNull(); // the analysis named none: the transcript's language is the tag's
    expectHonestTranscript(r, spans);
    expect(prompts.length).toBeGreaterThan(0);
    expect(
      prompts.every((p) => !p.system && p.prompt === 'Detect the language and recognize the speech:'),
    ).toBe(true);
    expect(r.transcript!.text).not.toMatch(/<\|/);
  });

  it('off: no transcription calls, transcript null; and a stored analysis keeps the transcript', async () => {
    const { spans } = await scriptedServer();
    const off = await transcribe({ transcript: 'off' });
    expect(off.transcript).toBeNull();
    expect(spans).toHaveLength(0);

    const store = createPgliteStore();
    try {
      await store.migrate();
      const adapter = createQwenAudioAdapter({ url: server!.url, enabled: true });
      const outcome = await processItem({ adapter, store, itemId: 'spoken', path: clip.path });
      expect(outcome.outcome).toBe('processed');
      const row = await store.get('spoken');
      expect(row!.transcript).toEqual(outcome.outcome === 'processed' ? outcome.result.transcript : null);
      expect(norm(row!.transcript!.text)).toEqual(SCRIPT_WORDS);
    } finally {
      await store.close();
    }
  }, 180_000);
});
