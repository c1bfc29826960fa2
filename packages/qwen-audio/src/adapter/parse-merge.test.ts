import { describe, expect, it } from 'vitest';
import {
  clamp01,
  confidenceFromLogprobs,
  mergeConfidence,
  mergeLanguage,
  mergeMood,
  mergeSummaryDeterministic,
  mergeTags,
} from './merge';
import { parseModelJson } from './parse';
import { lenientReplySchema, normalizeLanguage, truncateText } from './reply';
import { modelReplySchema, normalizeTags } from '../schema';
import type { ChunkResult } from '../schema';

const good = { summary: 'Piano solo.', tags: ['piano'], mood: 'calm', confidence: 0.7 };

describe('parseModelJson', () => {
  it('accepts bare JSON', () => {
    const out = parseModelJson(JSON.stringify(good), modelReplySchema);
    expect(out).toEqual({ ok: true, value: good });
  });

  it('extracts JSON from a ```json fence and from chatty prose with braces inside strings', () => {
    const fenced = 'Sure! Here it is:\n```json\n' + JSON.stringify(good) + '\n```\nHope that helps.';
    expect(parseModelJson(fenced, modelReplySchema)).toMatchObject({
      ok: true,
      value: { summary: 'Piano solo.' },
    });
    const chatty = `I think {maybe} this: {"summary": "A {braced} } voice", "tags": ["speech"], "mood": "neutral"} — done.`;
    expect(parseModelJson(chatty, modelReplySchema)).toMatchObject({
      ok: true,
      value: { summary: 'A {braced} } voice' },
    });
  });

  it('reports empty, non-JSON and schema-invalid replies without inventing values', () => {
    expect(parseModelJson('   ', modelReplySchema)).toEqual({ ok: false, problem: 'the reply was empty' });
    expect(parseModelJson('I cannot hear anything.', modelReplySchema)).toEqual({
      ok: false,
      problem: 'the reply contained no JSON object',
    });
    const invalid = parseModelJson('{"summary": "", "tags": "rock", "mood": "x"}', modelReplySchema);
    expect(invalid.ok).toBe(false);
    if (!invalid.ok) expect(invalid.problem).toMatch(/summary.*tags|tags.*summary/);
    expect(parseModelJson('[1,2]', modelReplySchema)).toEqual({
      ok: false,
      problem: 'the reply was JSON but not an object',
    });
  });
});

describe('normalizeTags', () => {
  it('lowercases, trims, strips #/punctuation, deduplicates and caps', () => {
    expect(normalizeTags(['  Rock ', 'rock', '#Jazz!', 'Hip   Hop', '', '"lo-fi"', 'x'.repeat(41)])).toEqual([
      'rock',
      'jazz',
      'hip hop',
      'lo-fi',
    ]);
    expect(normalizeTags(Array.from({ length: 30 }, (_, i) => `t${i}`))).toHaveLength(12);
    expect(normalizeTags(['a', 'b', 'c'], 2)).toEqual(['a', 'b']);
  });
});

const chunk = (over: Partial<ChunkResult>): ChunkResult => ({
  index: 0,
  startSeconds: 0,
  durationSeconds: 30,
  summary: 's',
  tags: [],
  mood: 'calm',
  language: null,
  confidence: null,
  confidenceSource: 'none',
  attempts: 1,
  ...over,
});

describe('merging and confidence', () => {
  it('derives confidence from logprobs as the geometric-mean token probability', () => {
    expect(confidenceFromLogprobs([Math.log(0.5), Math.log(0.5)])).toBeCloseTo(0.5, 10);
    expect(confidenceFromLogprobs([0, Math.log(0.25)])).toBeCloseTo(0.5, 10);
    expect(confidenceFromLogprobs([])).toBeNull();
    expect(clamp01(1.7)).toBe(1);
    expect(clamp01(-3)).toBe(0);
    expect(clamp01(Number.NaN)).toBeNull();
  });

  it('ranks tags by duration × confidence weight and votes mood by confidence', () => {
    const chunks = [
      chunk({ index: 0, tags: ['rock', 'guitar'], mood: 'energetic', confidence: 0.9, durationSeconds: 30 }),
      chunk({ index: 1, tags: ['rock', 'drums'], mood: 'calm', confidence: 0.2, durationSeconds: 30 }),
      chunk({ index: 2, tags: ['drums'], mood: 'calm', confidence: 0.2, durationSeconds: 10 }),
    ];
    const { tags } = mergeTags(chunks);
    expect(tags).toEqual(['rock', 'guitar', 'drums']);
    expect(mergeMood(chunks)).toBe('energetic'); // 27 vs 6 + 2
    expect(mergeMood([chunk({ mood: 'a' }), chunk({ mood: 'b' })])).toBe('a');
  });

  it('picks the most representative summary deterministically and the majority language', () => {
    const chunks = [
      chunk({ summary: 'intro noise', tags: ['noise'] }),
      chunk({ summary: 'a rock song', tags: ['rock', 'guitar'], language: 'en' }),
      chunk({ summary: 'rock outro', tags: ['rock'], language: 'en' }),
      chunk({ summary: 'spoken', tags: [], language: 'de' }),
    ];
    const { scores } = mergeTags(chunks);
    expect(mergeSummaryDeterministic(chunks, scores)).toBe('a rock song');
    expect(mergeLanguage(chunks)).toBe('en');
    expect(mergeLanguage([chunk({})])).toBeNull();
  });

  it('uses logprobs, then model values, then cross-window agreement, else none', () => {
    const lp = [
      chunk({ confidence: 0.9, confidenceSource: 'logprobs', durationSeconds: 30 }),
      chunk({ confidence: 0.6, confidenceSource: 'logprobs', durationSeconds: 10 }),
    ];
    expect(mergeConfidence(lp, [], 'calm')).toEqual({
      confidence: (0.9 * 30 + 0.6 * 10) / 40,
      confidenceSource: 'logprobs',
    });
    const model = [chunk({ confidence: 0.4, confidenceSource: 'model' })];
    expect(mergeConfidence(model, [], 'calm')).toEqual({ confidence: 0.4, confidenceSource: 'model' });
    const agree = [chunk({ tags: ['a', 'b'], mood: 'calm' }), chunk({ tags: ['a', 'b'], mood: 'calm' })];
    expect(mergeConfidence(agree, ['a', 'b'], 'calm')).toEqual({
      confidence: 1,
      confidenceSource: 'agreement',
    });
    const disagree = [chunk({ tags: ['a'], mood: 'calm' }), chunk({ tags: ['z'], mood: 'sad' })];
    const d = mergeConfidence(disagree, ['a', 'z'], 'calm');
    expect(d.confidenceSource).toBe('agreement');
    expect(d.confidence).toBeCloseTo(((0.5 + 1) / 2 + (0.5 + 0) / 2) / 2, 10);
    expect(mergeConfidence([chunk({})], [], 'calm')).toEqual({ confidence: null, confidenceSource: 'none' });
  });
});

describe('lenient reply reading', () => {
  it('normalises language tags and names to a primary subtag, null when unknown', () => {
    expect(
      ['en', 'EN', 'en-US', 'en_GB', 'eng', 'English', 'English (United States)', 'Deutsch', 'français'].map(
        normalizeLanguage,
      ),
    ).toEqual(['en', 'en', 'en', 'en', 'en', 'en', 'en', 'de', 'fr']);
    expect(['Cantonese', 'Mandarin', 'zh-Hans-CN'].map(normalizeLanguage)).toEqual(['yue', 'zh', 'zh']);
    expect([null, '', 'none', 'Klingon', 42, 'xx-YY'].map(normalizeLanguage)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('cuts over-long text at a word boundary with an ellipsis, and leaves short text alone', () => {
    expect(truncateText('short', 10)).toBe('short');
    const cut = truncateText('one two three four five six', 15);
    expect(cut).toBe('one two three…');
    expect(cut.length).toBeLessThanOrEqual(15);
    expect(truncateText('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('fails only on a missing or empty summary or mood', () => {
    const ok = lenientReplySchema.safeParse({ summary: ' A  tone. ', mood: 'Calm' });
    expect(ok.success && ok.data).toEqual({
      summary: 'A tone.',
      mood: 'calm',
      tags: [],
      confidence: null,
      language: null,
    });
    expect(
      lenientReplySchema.safeParse({ summary: 'x', mood: 'calm', confidence: '85%' }).data,
    ).toMatchObject({ confidence: 0.85 });
    expect(lenientReplySchema.safeParse({ summary: '', mood: 'calm' }).success).toBe(false);
    expect(lenientReplySchema.safeParse({ summary: 'x' }).success).toBe(false);
  });
});
