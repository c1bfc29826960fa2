// Reads one window's reply leniently: what the adapter normalises anyway (tag count and case, the
// language's spelling, a missing confidence, an over-long summary) never fails a window. Only a reply
// without a usable summary or mood does: those are the analysis.
import { z } from 'zod';
import { MAX_MOOD_CHARS, MAX_SUMMARY_CHARS, normalizeTags } from '../schema';
import { clamp01 } from './merge';

/** A window's reply after normalisation. */
export interface NormalizedReply {
  /** Trimmed, whitespace collapsed, at most {@link MAX_SUMMARY_CHARS}. */
  summary: string;
  /** {@link normalizeTags} of whatever tag list the reply held. */
  tags: string[];
  /** Lowercase, at most {@link MAX_MOOD_CHARS}. */
  mood: string;
  /** The model's own figure clamped to [0, 1], or null when it gave none it could mean. */
  confidence: number | null;
  /** BCP 47 primary language subtag (ISO 639-1 where one exists), or null. */
  language: string | null;
}

/** Cuts `text` to at most `max` characters at a word boundary, ending with `…` when cut. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max - 1);
  const space = head.lastIndexOf(' ');
  // Cut at the last space unless that would drop more than a fifth of the allowance.
  return `${(space > max * 0.8 ? head.slice(0, space) : head).trimEnd()}…`;
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

const EXTRA_NAMES: Record<string, string> = { mandarin: 'zh', cantonese: 'yue', 'mandarin chinese': 'zh' };
let names: Map<string, string> | null = null;
let codes: Set<string> | null = null;

/** Language names (English and each language's own) → code, from the runtime's ICU data. */
function languageNames(): Map<string, string> {
  if (names) return names;
  const map = new Map<string, string>(Object.entries(EXTRA_NAMES));
  const english = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
  for (let a = 97; a <= 122; a++) {
    for (let b = 97; b <= 122; b++) {
      const code = String.fromCharCode(a, b);
      const name = english.of(code);
      if (!name || name === code) continue;
      map.set(name.toLowerCase(), code);
      try {
        const own = new Intl.DisplayNames([code], { type: 'language', fallback: 'none' }).of(code);
        if (own) map.set(own.toLowerCase(), code);
      } catch {
        // no locale data for this language: its English name is enough
      }
    }
  }
  names = map;
  return map;
}

function knownCodes(): Set<string> {
  codes ??= new Set(languageNames().values());
  return codes;
}

/**
 * A language as a BCP 47 primary subtag (`en`, `de`, `yue`), from a tag (`en-US`, `eng`, `EN`) or a
 * name (`English`, `English (United States)`, `Deutsch`); null for none or anything unrecognised.
 */
export function normalizeLanguage(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const text = collapse(raw);
  if (!text) return null;
  if (/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$/.test(text)) {
    try {
      const lang = new Intl.Locale(text.replace(/_/g, '-')).language.toLowerCase();
      if (knownCodes().has(lang)) return lang;
    } catch {
      // not a tag: try it as a name
    }
  }
  // "English (United States)", "English, US", "english; spoken"
  const name = text
    .split(/[(,;/]/)[0]!
    .trim()
    .toLowerCase();
  return languageNames().get(name) ?? null;
}

/** A confidence the model meant: a number, a numeric string, or a percentage string; else null. */
function readConfidence(raw: unknown): number | null {
  if (typeof raw === 'number') return clamp01(raw);
  if (typeof raw !== 'string') return null;
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(%?)\s*$/.exec(raw);
  if (!m) return null;
  return clamp01(Number(m[1]) / (m[2] ? 100 : 1));
}

/** Tags as a list of strings: an array (non-strings dropped) or one comma/semicolon-separated string. */
function readTags(raw: unknown): string[] {
  if (Array.isArray(raw)) return normalizeTags(raw.filter((t): t is string => typeof t === 'string'));
  if (typeof raw === 'string') return normalizeTags(raw.split(/[,;]/));
  return [];
}

const requiredText = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .transform(collapse)
    .refine((s) => s.length > 0, `${field} must not be empty`)
    .transform((s) => truncateText(s, max));

/** The lenient reading of a window's reply (see the file comment). */
export const lenientReplySchema = z
  .object({
    summary: requiredText('summary', MAX_SUMMARY_CHARS),
    mood: requiredText('mood', MAX_MOOD_CHARS).transform((m) => m.toLowerCase()),
    tags: z.unknown().optional().transform(readTags),
    confidence: z.unknown().optional().transform(readConfidence),
    language: z.unknown().optional().transform(normalizeLanguage),
  })
  .transform((r): NormalizedReply => r);
