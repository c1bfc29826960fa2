// `npm run demo` as a new user runs it: one process, no NATS_URL, no model in the (empty)
// Hugging Face cache. Once with no Qwen server (the skip line and the real signal features), once
// with QWEN_AUDIO_URL at a loopback Ollama stand-in that serves an audio-capable model (its canned
// reply is stored in media_audio_analysis and reaches the published envelope).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../test/helpers';
import { startOllamaStandIn } from '../../test/ollama';
import { findChromium } from './screenshot';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pmoves-demo-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function envelopeOf(out: string): Record<string, unknown> {
  const start = out.indexOf('content.published.v1 envelope:\n');
  const json = out.slice(start).split('\n').slice(1);
  const end = json.findIndex((l) => l === '}');
  return JSON.parse(json.slice(0, end + 1).join('\n')) as Record<string, unknown>;
}

describe('npm run demo', () => {
  it('runs the whole flow, says what was real, synthetic and skipped, and writes the embed', async () => {
    const out = join(dir, 'a');
    const p = startService('demo/src/demo.ts', [], { DEMO_OUTPUT_DIR: out, HF_HOME: join(dir, 'empty-hf') });
    const code = await p.exited;
    const text = p.output();
    expect(code, text).toBe(0);
    expect(text).toContain(
      'NO CLIP MODEL FOUND — using the GENERATED TEST MODEL: its scores are MEANINGLESS',
    );
    expect(text).toContain('huggingface-cli download Xenova/clip-vit-base-patch32');
    expect(text).toContain('Bus: in-process (NATS_URL unset)');
    expect(text).toMatch(/before: hybrid retrieval\s+after: fused with clip/);
    expect(text).toContain('used_rerank: true · rerank_provider: clip');
    expect(text).toContain('audio analysis skipped: QWEN_AUDIO_URL is not set');
    expect(text).toMatch(/tempo 1[12]\d\.\d BPM · RMS 0\.\d+/); // the 120 BPM pulse
    expect(text).toMatch(/MFCC mean \[(-?\d+\.\d, ){12}-?\d+\.\d\]/);
    const env = envelopeOf(text);
    expect(env.topic).toBe('content.published.v1');
    const meta = (env.payload as { meta: Record<string, unknown> }).meta;
    // The library was indexed and queried, and the payload's CLIP keys are what the index answered.
    expect(text).toContain('Indexed 8 thumbnails of the sample library');
    expect(text).toContain('GENERATED model: these similarities are MEANINGLESS');
    expect(text).toMatch(
      /Similar to sample-01 .*\(image → image\):\n( {2}\d {2}sample-0\d {2}cosine -?\d\.\d{3} .*\n){3}/,
    );
    const printed = [
      ...text
        .split('(text → image), from the index:\n')[1]!
        .matchAll(/^ {2}\d {2}(sample-0\d) {2}cosine (-?\d\.\d{3})/gm),
    ].map((m) => ({ asset_id: m[1], score: Number(m[2]) }));
    expect(printed).toHaveLength(5);
    const similarity = meta.clip_similarity as { asset_id: string; score: number }[];
    expect(similarity.map((s) => s.asset_id)).toEqual(printed.map((p) => p.asset_id));
    similarity.forEach((s, i) => expect(s.score).toBeCloseTo(printed[i]!.score, 3));
    expect(meta.clip_best_match).toMatchObject({ asset_id: printed[0]!.asset_id });
    expect((meta.clip_best_match as { model: string }).model).toMatch(/meaningless/);
    expect(meta.audio_summary).toBeUndefined(); // nothing was analysed, so nothing is claimed
    expect(text).toMatch(/\[synthetic\] CLIP weights and tokenizer/);
    expect(text).toMatch(/\[skipped\] Qwen2-Audio analysis/);
    const html = await readFile(join(out, 'discord-embed.html'), 'utf8');
    expect(html).toContain('Published: Spring campaign teaser');
    expect(html).toContain('Top CLIP match');
    expect(html).toContain('Similar assets');
    if (findChromium()) expect(existsSync(join(out, 'discord-embed.png'))).toBe(true);
    else expect(text).toContain('Screenshot skipped');
  }, 240_000);

  it('analyses the audio when QWEN_AUDIO_URL serves an audio-capable model, and publishes the stored analysis', async () => {
    const ollama = await startOllamaStandIn({
      models: { 'qwen2-audio-standin': ['completion', 'audio'] },
      reply: {
        summary: 'STAND-IN reply: a pulse and a drone.',
        tags: ['pulse', 'drone'],
        mood: 'tense',
        confidence: 0.6,
      },
    });
    try {
      const p = startService('demo/src/demo.ts', [], {
        DEMO_OUTPUT_DIR: join(dir, 'b'),
        HF_HOME: join(dir, 'empty-hf'),
        CHROME_PATH: join(dir, 'no-chromium'),
        QWEN_AUDIO_URL: ollama.url,
        QWEN_AUDIO_BACKEND: 'ollama',
        QWEN_MODEL_NAME: 'qwen2-audio-standin',
      });
      const code = await p.exited;
      const text = p.output();
      expect(code, text).toBe(0);
      expect(text).toContain(
        'Qwen2-Audio (qwen2-audio-standin via ollama) [real] — stored in media_audio_analysis',
      );
      expect(text).toContain('tags: pulse, drone · mood: tense');
      expect(ollama.chats()).toBe(1);
      const meta = (envelopeOf(text).payload as { meta: Record<string, unknown> }).meta;
      expect(meta).toMatchObject({
        audio_summary: 'STAND-IN reply: a pulse and a drone.',
        audio_tags: ['pulse', 'drone'],
        audio_mood: 'tense',
      });
      expect(text).toContain('Screenshot skipped: no Chromium found');
    } finally {
      await ollama.close();
    }
  }, 240_000);
});
