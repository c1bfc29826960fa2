import { discordLength } from './limits';
import { ELLIPSIS, TextCutter } from './truncate';

/**
 * How much a piece of embed text matters when the embed must shrink: enrichment gives way first, then the summary,
 * then optional fields; core text (title, URL, path, artifact) goes last and is only ever shortened.
 */
export const Tier = { Core: 0, Optional: 1, Summary: 2, Enrichment: 3 } as const;
/** One of the {@link Tier} values. */
export type Tier = (typeof Tier)[keyof typeof Tier];

/** A piece of embed text that can render itself within a budget of code points. */
export interface Piece {
  readonly tier: Tier;
  /** Length of the full rendering. */
  readonly natural: number;
  /** Smallest budget worth keeping (the piece is dropped rather than shrunk below it). */
  readonly floor: number;
  /** Text of at most `budget` code points; non-empty when `budget >= floor`. */
  render(budget: number): string;
}

/** Budget below which text is not worth shortening further (it is dropped instead, when it may be). */
const FLOOR = 48;

/** Plain text, cut with a {@link TextCutter}. */
export function textPiece(text: string, tier: Tier): Piece {
  const natural = discordLength(text);
  const cutter = new TextCutter(text);
  return { tier, natural, floor: Math.min(natural, FLOOR), render: (budget) => cutter.truncate(budget) };
}

/** Text shown as inline code; a cut happens inside the backticks so the span stays closed. */
export function codePiece(inner: string, tier: Tier): Piece {
  const full = `\`${inner}\``;
  const natural = discordLength(full);
  const cutter = new TextCutter(inner);
  return {
    tier,
    natural,
    floor: Math.min(natural, FLOOR),
    render: (budget) =>
      budget >= natural
        ? full
        : budget >= 3
          ? `\`${cutter.truncate(budget - 2)}\``
          : ELLIPSIS.slice(0, budget),
  };
}

/** A list of tags, each as inline code, comma-separated; a cut drops whole tags and ends with `, …`. */
export function tagListPiece(tags: readonly string[], tier: Tier): Piece {
  const items = tags.map((tag) => `\`${tag}\``);
  const full = items.join(', ');
  const natural = discordLength(full);
  const more = `, ${ELLIPSIS}`;
  return {
    tier,
    natural,
    floor: Math.min(natural, FLOOR),
    render(budget) {
      if (natural <= budget) return full;
      let out = '';
      for (const item of items) {
        const next = out ? `${out}, ${item}` : item;
        if (discordLength(next) + more.length > budget) break;
        out = next;
      }
      return out ? out + more : codePiece(tags[0] ?? '', tier).render(budget);
    },
  };
}

/**
 * Items one per line, each as inline code (`head`) followed by plain text (`tail`), then `suffix`; a cut drops
 * whole items (and the suffix) and ends with a line `…`.
 */
export function listPiece(
  items: readonly { head: string; tail: string }[],
  suffix: string,
  tier: Tier,
): Piece {
  const lines = items.map((item) => `\`${item.head}\`${item.tail}`);
  const full = lines.join('\n') + suffix;
  const natural = discordLength(full);
  const more = `\n${ELLIPSIS}`;
  return {
    tier,
    natural,
    floor: Math.min(natural, FLOOR),
    render(budget) {
      if (natural <= budget) return full;
      let out = '';
      for (const line of lines) {
        const next = out ? `${out}\n${line}` : line;
        if (discordLength(next) + more.length > budget) break;
        out = next;
      }
      return out ? out + more : codePiece(items[0]?.head ?? '', tier).render(budget);
    },
  };
}

/** `piece` followed by a fixed `suffix` that is kept while there is room for both. */
export function withSuffix(piece: Piece, suffix: string): Piece {
  const suffixLength = discordLength(suffix);
  const natural = piece.natural + suffixLength;
  return {
    tier: piece.tier,
    natural,
    floor: Math.min(natural, Math.max(piece.floor, FLOOR) + suffixLength),
    render: (budget) =>
      budget - suffixLength >= Math.min(piece.floor, 8)
        ? piece.render(budget - suffixLength) + suffix
        : piece.render(budget),
  };
}
