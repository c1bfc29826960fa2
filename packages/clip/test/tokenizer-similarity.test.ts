import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClipTokenizer, cosineSimilarity, similarities, topK } from '../src/index';
import { providerPlan } from '../src/model/providers';
import { CLIP_FIXTURES } from './models';

const tok = ClipTokenizer.fromFiles(
  join(CLIP_FIXTURES, 'tokenizer.json'),
  join(CLIP_FIXTURES, 'tokenizer_config.json'),
);

describe('ClipTokenizer on the real CLIP tokenizer.json', () => {
  it('gives the known ids', () => {
    expect(tok.tokenize('a photo of a cat')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(tok.tokenize('A PHOTO OF A CAT')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(tok.tokenize('')).toEqual([49406, 49407]);
    expect([tok.bosId, tok.eotId, tok.padId, tok.contextLength]).toEqual([49406, 49407, 49407, 77]);
  });

  it('truncates to 77 keeping the end-of-text token last', () => {
    const ids = tok.tokenize('cat '.repeat(200));
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(49406);
    expect(ids[76]).toBe(49407);
    expect(ids.slice(1, 76).every((id) => id === 2368)).toBe(true);
    // Exactly 77 tokens stays untouched.
    const exact = tok.tokenize('cat '.repeat(75));
    expect(exact).toHaveLength(77);
    expect(exact[75]).toBe(2368);
  });

  it('pads to the longest in the batch, or to the fixed length the graph needs', () => {
    const dynamic = tok.batch(['a photo of a cat', 'a cat']);
    expect([dynamic.rows, dynamic.length]).toEqual([2, 7]);
    expect(dynamic.ids.slice(7)).toEqual([49406, 320, 2368, 49407, 49407, 49407, 49407]);
    expect(dynamic.mask.slice(7)).toEqual([1, 1, 1, 1, 0, 0, 0]);
    const fixed = tok.batch(['a cat'], 77);
    expect(fixed.length).toBe(77);
    expect(fixed.mask.reduce((a, b) => a + b, 0)).toBe(4);
  });
});

describe('similarity helpers', () => {
  it('cosine, one-against-many and topK', () => {
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosineSimilarity([1, 0], [-3, 0])).toBeCloseTo(-1, 12);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(/different lengths/);
    const cands = [Float32Array.of(0, 1), Float32Array.of(1, 0), Float32Array.of(1, 1)];
    expect(Array.from(similarities([1, 0], cands)).map((v) => +v.toFixed(4))).toEqual([0, 1, 0.7071]);
    expect(topK([1, 0], cands, 2)).toEqual([
      { index: 1, score: 1 },
      { index: 2, score: expect.closeTo(0.7071, 4) },
    ]);
    expect(topK([1, 0], cands, 0)).toEqual([]);
    expect(() => topK([1, 0], cands, -1)).toThrow(/non-negative/);
  });
});

describe('provider plan', () => {
  it('auto tries the platform accelerators then CPU; explicit devices only fall back when asked', () => {
    expect(providerPlan('auto', false, 'linux')).toEqual(['cuda', 'cpu']);
    expect(providerPlan('auto', false, 'win32')).toEqual(['dml', 'cuda', 'cpu']);
    expect(providerPlan('auto', false, 'darwin')).toEqual(['coreml', 'cpu']);
    expect(providerPlan('cpu', false, 'linux')).toEqual(['cpu']);
    expect(providerPlan('tensorrt', false, 'linux')).toEqual(['tensorrt']);
    expect(providerPlan('webgpu', true, 'linux')).toEqual(['webgpu', 'cpu']);
  });
});
