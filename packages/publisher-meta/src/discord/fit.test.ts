import { describe, expect, it } from 'vitest';
import { fitEmbedText, type FieldDraft } from './fit';
import { DISCORD_LIMITS, discordLength, embedTextLength } from './limits';
import { textPiece, Tier } from './pieces';

const field = (name: string, text: string, tier: Tier): FieldDraft => ({
  name,
  value: textPiece(text, tier),
  inline: false,
});

describe('fitEmbedText', () => {
  it('keeps everything when it fits', () => {
    const out = fitEmbedText({
      title: textPiece('t', Tier.Core),
      description: textPiece('d', Tier.Core),
      fields: [field('a', 'x', Tier.Core), field('b', 'y', Tier.Enrichment)],
    });
    expect(out).toEqual({
      title: 't',
      description: 'd',
      fields: [
        { name: 'a', value: 'x', inline: false },
        { name: 'b', value: 'y', inline: false },
      ],
    });
  });

  it('drops fields beyond 25, least important and last first', () => {
    const fields = [
      ...Array.from({ length: 10 }, (_, i) => field(`core${i}`, 'v', Tier.Core)),
      ...Array.from({ length: 10 }, (_, i) => field(`opt${i}`, 'v', Tier.Optional)),
      ...Array.from({ length: 10 }, (_, i) => field(`enr${i}`, 'v', Tier.Enrichment)),
    ];
    const out = fitEmbedText({ title: textPiece('t', Tier.Core), fields });
    expect(out.fields).toHaveLength(25);
    expect(out.fields.map((f) => f.name)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `core${i}`),
      ...Array.from({ length: 10 }, (_, i) => `opt${i}`),
      ...Array.from({ length: 5 }, (_, i) => `enr${i}`),
    ]);
  });

  it('drops enrichment, then summary, then optional text when even the smallest sizes exceed 6000', () => {
    const long = 'x'.repeat(2000);
    // Each field needs at least 256 (name) + 48 (smallest value) = 304; with a 48-character title only 19 of these
    // 25 fit in 6000, so 6 must go: the 5 enrichment fields, then the last summary field.
    const name = (p: string) => `${p}${'n'.repeat(256)}`.slice(0, 256);
    const fields = [
      ...Array.from({ length: 8 }, (_, i) => field(name(`core${i}`), long, Tier.Core)),
      ...Array.from({ length: 8 }, (_, i) => field(name(`opt${i}`), long, Tier.Optional)),
      ...Array.from({ length: 4 }, (_, i) => field(name(`sum${i}`), long, Tier.Summary)),
      ...Array.from({ length: 5 }, (_, i) => field(name(`enr${i}`), long, Tier.Enrichment)),
    ];
    const out = fitEmbedText({ title: textPiece(long, Tier.Core), fields });
    const kinds = out.fields.map((f) => f.name.replace(/\d.*/, ''));
    expect(kinds.filter((k) => k === 'core')).toHaveLength(8);
    expect(kinds.filter((k) => k === 'opt')).toHaveLength(8);
    expect(out.fields.filter((f) => f.name.startsWith('sum')).map((f) => f.name.slice(0, 4))).toEqual([
      'sum0',
      'sum1',
      'sum2',
    ]);
    expect(kinds).not.toContain('enr');
    const total = embedTextLength([{ ...out, fields: out.fields }]);
    expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.total);
    for (const f of out.fields) expect(discordLength(f.value)).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
  });

  it('hands the room a cut link leaves back to the other texts', () => {
    const link = `[open](https://example.com/${'p'.repeat(5000)})`;
    const out = fitEmbedText({
      title: textPiece('t', Tier.Core),
      description: textPiece(link, Tier.Core),
      fields: Array.from({ length: 6 }, (_, i) => field(`f${i}`, 'v'.repeat(1024), Tier.Core)),
    });
    expect(out.description).toBe('…');
    // Without the reclaim, the description would hold 4096 of the 6000 and most fields would get 48. With it the
    // fields get 6000 - 1 (title) - 1 (description) - 6 × 2 (names) = 5986: five full values and 866.
    expect(out.fields.map((f) => discordLength(f.value))).toEqual([1024, 1024, 1024, 1024, 1024, 866]);
  });
});
