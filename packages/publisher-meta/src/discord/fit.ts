import { DISCORD_LIMITS, discordLength, type DiscordEmbedField } from './limits';
import type { Piece } from './pieces';
import { truncateText } from './truncate';

/** A field before fitting. `continues` marks a field that carries on the description's text. */
export interface FieldDraft {
  name: string;
  value: Piece;
  inline: boolean;
  continues?: boolean;
}

/** Embed text before fitting. */
export interface EmbedDraft {
  title: Piece;
  description?: Piece;
  fields: FieldDraft[];
}

/** Embed text after fitting: within every Discord limit. */
export interface FittedText {
  title: string;
  description?: string;
  fields: DiscordEmbedField[];
}

interface Slot {
  piece: Piece;
  cap: number;
  budget: number;
  field?: FieldDraft;
  name?: string;
}

/**
 * Fits embed text into Discord's limits by priority.
 *
 * 1. Every text is capped at its own limit (title 256, description 4096, field value 1024, name 256), and fields
 *    beyond 25 are dropped, least important first.
 * 2. While even the smallest useful size of everything would exceed the 6000 total, the least important droppable
 *    text is dropped (enrichment, then summary, then optional fields; the last one first). Core text is never
 *    dropped.
 * 3. Every text starts at its smallest useful size; the remaining room is handed out core first, then optional,
 *    summary and enrichment text — so enrichment and the summary shrink before anything else does.
 */
export function fitEmbedText(draft: EmbedDraft): FittedText {
  let fields = [...draft.fields];
  while (fields.length > DISCORD_LIMITS.fields) fields = dropLeastImportant(fields) ?? fields.slice(0, 25);

  const slot = (piece: Piece, limit: number, field?: FieldDraft): Slot => {
    const cap = Math.min(piece.natural, limit);
    const name = field ? truncateText(field.name, DISCORD_LIMITS.fieldName) : undefined;
    return { piece, cap, budget: Math.min(piece.floor, cap), field, name };
  };
  const title = slot(draft.title, DISCORD_LIMITS.title);
  let description = draft.description ? slot(draft.description, DISCORD_LIMITS.description) : undefined;
  let fieldSlots = fields.map((f) => slot(f.value, DISCORD_LIMITS.fieldValue, f));

  const used = () =>
    [title, description, ...fieldSlots].reduce(
      (sum, s) => sum + (s ? s.budget + (s.name ? discordLength(s.name) : 0) : 0),
      0,
    );

  // 2. Drop until the smallest sizes fit.
  while (used() > DISCORD_LIMITS.total) {
    const candidates = [description, ...fieldSlots].filter((s): s is Slot => !!s && s.piece.tier > 0);
    const victim = candidates.reduce<Slot | undefined>(
      (worst, s) => (!worst || s.piece.tier >= worst.piece.tier ? s : worst),
      undefined,
    );
    if (!victim) break;
    if (victim === description) description = undefined;
    else fieldSlots = fieldSlots.filter((s) => s !== victim);
  }

  // 3. Hand out the remaining room by tier, in display order. A cut text can come out shorter than its budget
  //    (a link or a grapheme cluster that does not fit is left out whole), so the room it did not use is handed
  //    out again, a few times at most.
  const ordered = [title, description, ...fieldSlots].filter((s): s is Slot => !!s);
  for (let pass = 0; pass < 4; pass++) {
    for (const s of ordered) s.budget = Math.min(s.piece.floor, s.cap);
    let room = DISCORD_LIMITS.total - used();
    for (const tier of [0, 1, 2, 3]) {
      for (const s of ordered) {
        if (s.piece.tier !== tier || room <= 0) continue;
        const grow = Math.min(s.cap - s.budget, room);
        s.budget += grow;
        room -= grow;
      }
    }
    let reclaimed = false;
    for (const s of ordered) {
      const actual = discordLength(s.piece.render(s.budget));
      if (actual < s.budget && s.budget < s.piece.natural) {
        s.cap = actual;
        reclaimed = true;
      }
    }
    if (!reclaimed || room > 0) break;
  }

  const descriptionText = description ? description.piece.render(description.budget) : undefined;
  const descriptionCut = !!description && description.budget < description.piece.natural;
  const out: FittedText = { title: title.piece.render(title.budget), fields: [] };
  if (descriptionText && descriptionText.trim()) out.description = descriptionText;
  for (const s of fieldSlots) {
    // A continuation makes no sense once the text it continues was cut (or dropped).
    if (s.field?.continues && (descriptionCut || !out.description)) continue;
    const value = s.piece.render(s.budget);
    if (!value.trim() || !s.name?.trim()) continue;
    out.fields.push({ name: s.name, value, inline: s.field?.inline ?? false });
  }
  return out;
}

function dropLeastImportant(fields: FieldDraft[]): FieldDraft[] | undefined {
  let index = -1;
  fields.forEach((f, i) => {
    if (f.value.tier > 0 && (index < 0 || f.value.tier >= (fields[index]?.value.tier ?? 0))) index = i;
  });
  return index < 0 ? undefined : fields.filter((_, i) => i !== index);
}
