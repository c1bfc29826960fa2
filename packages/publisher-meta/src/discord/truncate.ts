import { discordLength } from './limits';

/** Marks a cut. One code point. */
export const ELLIPSIS = '…';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// A markdown link `[text](url)`; cutting inside one would leave broken markup (or a link to a truncated URL).
const MARKDOWN_LINK = /\[[^\]\n]*\]\([^)\s]*\)/g;

/** True when a grapheme boundary certainly lies between `text[i - 1]` and `text[i]`: two ASCII characters. */
function asciiBoundary(text: string, i: number): boolean {
  const a = text.charCodeAt(i - 1);
  const b = text.charCodeAt(i);
  return a < 0x80 && b < 0x80 && !(a === 13 && b === 10);
}

/** Longest stretch handed to the segmenter at once. */
const STRETCH = 512;

/**
 * Grapheme clusters of `text`, lazily. Node's `Intl.Segmenter` takes time quadratic in the length of the string it
 * walks, so ASCII runs (whose clusters are single characters, or CR LF) are walked here and only short stretches
 * around non-ASCII text go to the segmenter. A stretch that does not end at a certain boundary gives up its last
 * (maybe partial) cluster, which starts the next stretch.
 */
function* graphemesOf(text: string): Generator<{ segment: string; index: number }> {
  let i = 0;
  while (i < text.length) {
    if (text.charCodeAt(i) < 0x80 && (i + 1 >= text.length || asciiBoundary(text, i + 1))) {
      yield { segment: text[i] as string, index: i };
      i++;
      continue;
    }
    for (let cap = STRETCH; ; cap *= 2) {
      let j = i + 1;
      while (j < text.length && j < i + cap && !asciiBoundary(text, j)) j++;
      const certain = j >= text.length || asciiBoundary(text, j);
      const segments = [...graphemes.segment(text.slice(i, j))];
      if (!certain) segments.pop();
      if (segments.length === 0) continue; // one cluster longer than the stretch: look further
      for (const { segment, index } of segments) yield { segment, index: i + index };
      const last = segments[segments.length - 1];
      i += (last?.index ?? 0) + (last?.segment.length ?? 1);
      break;
    }
  }
}

/**
 * Finds safe cut points in one text: between two grapheme clusters (so never inside a surrogate pair, a ZWJ emoji
 * sequence, a flag or a letter with combining marks) and never inside a markdown link. Boundaries are computed once,
 * lazily, and reused for every length asked (the embed fitter asks several).
 */
export class TextCutter {
  private readonly links: [number, number][] = [];
  /** UTF-16 index of each allowed cut, ascending, with the code points before it. */
  private readonly cuts: { index: number; count: number }[] = [{ index: 0, count: 0 }];
  private readonly walker: Generator<{ segment: string; index: number }>;
  private count = 0;
  private done = false;
  private link = 0;

  /** Prepares cutting `text`. */
  constructor(readonly text: string) {
    MARKDOWN_LINK.lastIndex = 0;
    for (let m = MARKDOWN_LINK.exec(text); m; m = MARKDOWN_LINK.exec(text)) {
      this.links.push([m.index, m.index + m[0].length]);
    }
    this.walker = graphemesOf(text);
  }

  private insideLink(i: number): boolean {
    while (this.link < this.links.length && (this.links[this.link]?.[1] ?? 0) <= i) this.link++;
    const current = this.links[this.link];
    return !!current && current[0] < i && i < current[1];
  }

  /** The largest safe UTF-16 index whose prefix has at most `maxLength` code points. */
  cutIndex(maxLength: number): number {
    while (!this.done && this.count <= maxLength) {
      const next = this.walker.next();
      if (next.done) {
        this.done = true;
        break;
      }
      this.count += discordLength(next.value.segment);
      const end = next.value.index + next.value.segment.length;
      if (end === this.text.length || !this.insideLink(end))
        this.cuts.push({ index: end, count: this.count });
    }
    // Binary search: the last cut with count <= maxLength.
    let lo = 0;
    let hi = this.cuts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.cuts[mid]?.count ?? Infinity) <= maxLength) lo = mid;
      else hi = mid - 1;
    }
    return this.cuts[lo]?.index ?? 0;
  }

  /** The text cut to at most `maxLength` code points, with an ellipsis where cut (see {@link truncateText}). */
  truncate(maxLength: number): string {
    if (discordLength(this.text) <= maxLength) return this.text;
    if (maxLength < 1) return '';
    return this.text.slice(0, this.cutIndex(maxLength - 1)).trimEnd() + ELLIPSIS;
  }
}

/**
 * Shortens `text` to at most `maxLength` code points (Discord's unit), cutting only between grapheme clusters and
 * never inside a markdown link, dropping whitespace before the cut and marking it with an ellipsis. Text that fits
 * is returned unchanged; `""` only when `maxLength` is 0.
 */
export function truncateText(text: string, maxLength: number): string {
  return new TextCutter(text).truncate(maxLength);
}

/** Splits `text` at a safe place so that the head has at most `maxLength` code points (no ellipsis). */
export function splitText(text: string, maxLength: number): [string, string] {
  const i = new TextCutter(text).cutIndex(maxLength);
  return [text.slice(0, i), text.slice(i)];
}
