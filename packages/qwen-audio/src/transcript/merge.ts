// Joining transcribed pieces into one timeline. Pieces are in item time; two pieces whose audio
// overlapped (overlapping windows in `full` mode) heard the same words in the overlap, so the words
// at the join are matched and kept once. Pieces that only touch (a speech stretch cut by a window
// boundary) are joined as they are: no audio was heard twice.

/** One transcribed stretch, in item time, with its reply's token log-probabilities. */
export interface TranscribedPiece {
  /** Start of the speech, seconds from the item's start. */
  start: number;
  /** End of the speech, seconds from the item's start. */
  end: number;
  /** Start of the audio sent (the speech plus padding), seconds from the item's start. */
  audioStart: number;
  /** End of the audio sent, seconds from the item's start. */
  audioEnd: number;
  /** What the model wrote. */
  text: string;
  /** Token log-probabilities of the reply, or null. */
  logprobs: number[] | null;
}

/** A merged segment and the log-probabilities of the pieces it came from. */
export interface MergedSegment {
  /** Start, seconds. */
  start: number;
  /** End, seconds. */
  end: number;
  /** Words, once each at every join. */
  text: string;
  /** Every piece's log-probabilities, or null when any piece had none. */
  logprobs: number[] | null;
}

/** Pieces closer than this are one segment (a speech stretch cut at a window boundary), seconds. */
const TOUCH_SECONDS = 0.3;
/** Words per second of overlap that may have been heard twice (fast speech is ~4 words/s). */
const WORDS_PER_SECOND = 6;

const tokenKey = (word: string) => word.toLowerCase().replace(/[^\p{L}\p{N}']+/gu, '');

/**
 * How many leading words of `b` repeat the trailing words of `a` (case and punctuation ignored), at
 * most `max`. A word cut by a window edge may be garbled on one side: a match may skip the last word
 * of `a` (then reported in `dropLast`) or the first of `b` (counted in the returned overlap).
 */
export function repeatedWords(
  a: readonly string[],
  b: readonly string[],
  max: number,
): {
  overlap: number;
  dropLast: number;
} {
  const ka = a.map(tokenKey);
  const kb = b.map(tokenKey);
  let best = { overlap: 0, dropLast: 0, k: 0 };
  for (const dropA of [0, 1]) {
    for (const dropB of [0, 1]) {
      const ta = ka.slice(0, ka.length - dropA);
      const tb = kb.slice(dropB);
      const limit = Math.min(max, ta.length, tb.length);
      for (let k = limit; k >= 1; k--) {
        // Skipping a possibly garbled word needs two matching words to trust the match.
        if ((dropA || dropB) && k < 2) break;
        let same = true;
        for (let i = 0; i < k && same; i++) same = ta[ta.length - k + i] === tb[i] && tb[i] !== '';
        if (same) {
          if (k > best.k) best = { overlap: k + dropB, dropLast: dropA, k };
          break;
        }
      }
    }
  }
  return { overlap: best.overlap, dropLast: best.dropLast };
}

/**
 * Pieces (in any order) → segments in time order, monotonic and not overlapping: overlapping pieces
 * lose their repeated words, touching pieces are joined, the rest stay apart.
 */
export function mergePieces(pieces: readonly TranscribedPiece[]): MergedSegment[] {
  const sorted = [...pieces].filter((p) => p.text.trim()).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Array<MergedSegment & { audioEnd: number }> = [];
  for (const p of sorted) {
    const last = out.at(-1);
    const words = p.text.trim().split(/\s+/);
    if (!last || p.start > last.end + TOUCH_SECONDS) {
      out.push({
        start: p.start,
        end: p.end,
        text: words.join(' '),
        logprobs: p.logprobs,
        audioEnd: p.audioEnd,
      });
      continue;
    }
    // The audio both pieces heard: from this piece's first sample to the end of the last one's.
    const heardTwice = Math.max(0, last.audioEnd - p.audioStart);
    let lastWords = last.text.split(' ');
    let rest = words;
    if (heardTwice > 0) {
      const max = Math.ceil(heardTwice * WORDS_PER_SECOND) + 2;
      const { overlap, dropLast } = repeatedWords(lastWords, words, max);
      if (overlap > 0) {
        lastWords = lastWords.slice(0, lastWords.length - dropLast);
        rest = words.slice(overlap);
      }
    }
    last.text = [...lastWords, ...rest].join(' ').trim();
    last.end = Math.max(last.end, p.end);
    last.audioEnd = Math.max(last.audioEnd, p.audioEnd);
    last.logprobs = last.logprobs && p.logprobs ? [...last.logprobs, ...p.logprobs] : null;
  }
  return out.filter((s) => s.text).map(({ audioEnd: _a, ...s }) => s);
}
