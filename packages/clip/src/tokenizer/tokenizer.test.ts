import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIP_FIXTURES } from '../../test/models';
import { ClipTokenizer } from '.';

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
