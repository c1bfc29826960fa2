import { describe, expect, it } from 'vitest';
import { readTranscriptReply } from './asr';
import { mergePieces, repeatedWords } from './merge';
import type { TranscribedPiece } from './merge';

const piece = (
  start: number,
  end: number,
  text: string,
  pad = 0.25,
  logprobs: number[] | null = null,
): TranscribedPiece => ({
  start,
  end,
  audioStart: start - pad,
  audioEnd: end + pad,
  text,
  logprobs,
});

describe('repeatedWords', () => {
  it('finds the words heard twice at a join, ignoring case and punctuation', () => {
    expect(
      repeatedWords('the fields rolled past'.split(' '), 'Rolled past, the windows.'.split(' '), 10),
    ).toEqual({
      overlap: 2,
      dropLast: 0,
    });
    expect(repeatedWords(['a', 'b'], ['c', 'd'], 10)).toEqual({ overlap: 0, dropLast: 0 });
  });

  it('allows one garbled word at either edge when at least two words match', () => {
    // "windo" was cut by the first window's end; the second heard it whole.
    expect(repeatedWords('rolled past the windo'.split(' '), 'the windows and then'.split(' '), 10)).toEqual({
      overlap: 0,
      dropLast: 0,
    });
    expect(repeatedWords('rolled past the windo'.split(' '), 'past the windows and'.split(' '), 10)).toEqual({
      overlap: 2,
      dropLast: 1,
    });
    expect(repeatedWords('rolled past the'.split(' '), 'lled past the windows'.split(' '), 10)).toEqual({
      overlap: 3,
      dropLast: 0,
    });
  });

  it('never matches more than max words', () => {
    expect(repeatedWords(['x', 'y', 'z'], ['x', 'y', 'z'], 3)).toEqual({ overlap: 3, dropLast: 0 });
    expect(repeatedWords(['x', 'y', 'z'], ['x', 'y', 'z'], 1)).toEqual({ overlap: 0, dropLast: 0 });
  });
});

describe('mergePieces', () => {
  it('drops the words two overlapping pieces both heard, and keeps times monotonic', () => {
    const merged = mergePieces([
      piece(27, 30, 'passengers read quietly while the'),
      piece(28, 31.5, 'quietly while the fields rolled past'),
      piece(33, 35, 'At noon.'),
    ]);
    expect(merged).toEqual([
      { start: 27, end: 31.5, text: 'passengers read quietly while the fields rolled past', logprobs: null },
      { start: 33, end: 35, text: 'At noon.', logprobs: null },
    ]);
  });

  it('joins pieces that only touch (a window boundary) without removing words', () => {
    // No audio was heard twice: "the the" at the join is what was said.
    const merged = mergePieces([piece(20, 30, 'over the', 0), piece(30, 32, 'the end', 0)]);
    expect(merged).toEqual([{ start: 20, end: 32, text: 'over the the end', logprobs: null }]);
  });

  it('sorts pieces, drops empty ones and keeps log-probabilities only when every piece had them', () => {
    const merged = mergePieces([
      piece(5, 6, 'second', 0.25, [-0.1]),
      piece(1, 2, 'first', 0.25, [-0.2]),
      piece(3, 4, '   '),
      piece(5.2, 7, 'second more', 0.25, null),
    ]);
    expect(merged.map((s) => s.text)).toEqual(['first', 'second more']);
    expect(merged[0]!.logprobs).toEqual([-0.2]);
    expect(merged[1]!.logprobs).toBeNull();
  });
});

describe('readTranscriptReply', () => {
  it('reads the words of chat-style and base-model replies', () => {
    expect(readTranscriptReply('The quick brown fox.')).toEqual({
      text: 'The quick brown fox.',
      language: null,
    });
    expect(readTranscriptReply('The person says: "Hello there, friend."')).toEqual({
      text: 'Hello there, friend.',
      language: null,
    });
    expect(readTranscriptReply('<|en|>hello world')).toEqual({ text: 'hello world', language: 'en' });
    expect(readTranscriptReply('He says nothing is wrong.')).toEqual({
      text: 'He says nothing is wrong.',
      language: null,
    });
  });

  it('reads "no speech" answers as no words', () => {
    for (const t of [
      '',
      '   ',
      'There is no speech in this audio.',
      '(no speech)',
      "I can't hear anyone speaking.",
    ])
      expect(readTranscriptReply(t).text, t).toBe('');
  });
});
