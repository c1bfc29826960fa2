import { discordLength } from './limits';

/** Marks a cut. One code point. */
export const ELLIPSIS = '…';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// A markdown link `[text](url)`; cutting inside one would leave broken markup (or a link to a truncated URL).
const MARKDOWN_LINK = /\[[^\]\n]*\]\([^)\s]*\)/g;

/**
 * The largest UTF-16 index at which `text` may be cut so that the part before it has at most `maxLength` code
 * points: always between two grapheme clusters (so never inside a surrogate pair, a ZWJ emoji sequence, a flag or a
 * letter with combining marks) and never inside a markdown link.
 */
export function safeCutIndex(text: string, maxLength: number): number {
  if (maxLength <= 0) return 0;
  // Links that start before the farthest possible cut (a code point is at most 2 UTF-16 units).
  const reach = Math.min(text.length, maxLength * 2 + 1);
  const links: [number, number][] = [];
  MARKDOWN_LINK.lastIndex = 0;
  for (let m = MARKDOWN_LINK.exec(text); m && m.index < reach; m = MARKDOWN_LINK.exec(text)) {
    links.push([m.index, m.index + m[0].length]);
  }
  const insideLink = (i: number) => links.some(([start, end]) => start < i && i < end);

  let count = 0;
  let best = 0;
  for (const { segment, index } of graphemes.segment(text)) {
    if (!insideLink(index)) best = index;
    count += discordLength(segment);
    if (count > maxLength) return best;
  }
  return text.length;
}

/**
 * Shortens `text` to at most `maxLength` code points (Discord's unit), cutting only at a safe place (see
 * {@link safeCutIndex}), dropping whitespace before the cut and marking it with an ellipsis. Text that fits is
 * returned unchanged; `""` only when `maxLength` is 0.
 */
export function truncateText(text: string, maxLength: number): string {
  if (discordLength(text) <= maxLength) return text;
  if (maxLength < 1) return '';
  return text.slice(0, safeCutIndex(text, maxLength - 1)).trimEnd() + ELLIPSIS;
}

/** Splits `text` at a safe place so that the head has at most `maxLength` code points (no ellipsis). */
export function splitText(text: string, maxLength: number): [string, string] {
  const i = safeCutIndex(text, maxLength);
  return [text.slice(0, i), text.slice(i)];
}
