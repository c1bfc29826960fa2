/**
 * Discord's limits for a webhook message with embeds
 * (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
 *
 * Lengths are counted in Unicode code points, the unit Discord counts: its API is written in Python 3 and measures
 * strings with `len()` (a Discord engineer, discord/discord-api-docs#1315: "`\U0010FFFF \uffff` would be considered
 * 3 characters"). JavaScript's `string.length` counts UTF-16 code units and would over-count every emoji or other
 * astral character; see {@link discordLength}.
 */
export const DISCORD_LIMITS = {
  /** Message `content`. */
  content: 2000,
  /** Embed title. */
  title: 256,
  /** Embed description. */
  description: 4096,
  /** Fields per embed. */
  fields: 25,
  /** Field name. */
  fieldName: 256,
  /** Field value. */
  fieldValue: 1024,
  /** Footer text. */
  footer: 2048,
  /** Author name. */
  author: 256,
  /** Sum of title, description, field names and values, footer text and author name over all embeds. */
  total: 6000,
  /** Webhook `username` override (1–80 characters). */
  username: 80,
  /** URLs (embed `url`, thumbnail, avatar): longer ones are rejected. */
  url: 2048,
} as const;

/** Length of `text` as Discord counts it: Unicode code points (a surrogate pair counts once). */
export function discordLength(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** A Discord embed field. */
export interface DiscordEmbedField {
  /** Field name (1–256 characters). */
  name: string;
  /** Field value (1–1024 characters). */
  value: string;
  /** Whether Discord may lay the field out next to others. */
  inline: boolean;
}

/** A Discord rich embed, as this package produces it (other keys are counted by {@link checkDiscordLimits}). */
export interface DiscordEmbed {
  /** Title (≤ 256). */
  title?: string;
  /** Fields (≤ 25). */
  fields: DiscordEmbedField[];
  /** Sidebar colour as an integer. */
  color?: number;
  /** Link of the title. */
  url?: string;
  /** Description (≤ 4096). */
  description?: string;
  /** Thumbnail image. */
  thumbnail?: { url: string };
  /** Footer (≤ 2048). */
  footer?: { text: string; icon_url?: string };
  /** Author (name ≤ 256). */
  author?: { name: string; url?: string; icon_url?: string };
}

/** Body of a Discord webhook execute request. */
export interface DiscordWebhookBody {
  /** Display name override. */
  username?: string;
  /** Avatar override. */
  avatar_url?: string;
  /** Message text (≤ 2000). */
  content?: string;
  /** Embeds (PMOVES sends one). */
  embeds: DiscordEmbed[];
}

/** Total embed text Discord counts toward the 6000 limit, over all embeds of a body. */
export function embedTextLength(embeds: readonly DiscordEmbed[]): number {
  let total = 0;
  for (const e of embeds) {
    total += discordLength(e.title ?? '') + discordLength(e.description ?? '');
    total += discordLength(e.footer?.text ?? '') + discordLength(e.author?.name ?? '');
    for (const f of e.fields ?? []) total += discordLength(f.name) + discordLength(f.value);
  }
  return total;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks a webhook body against {@link DISCORD_LIMITS} and returns one message per violation (empty when Discord
 * would accept the text): every length limit, the 6000 total, at most 25 fields, no empty or blank field name or
 * value, and no lone surrogate (which is not valid Unicode and cannot be sent as UTF-8).
 */
export function checkDiscordLimits(body: DiscordWebhookBody): string[] {
  const problems: string[] = [];
  const check = (label: string, text: string | undefined, max: number) => {
    if (text === undefined) return;
    const n = discordLength(text);
    if (n > max) problems.push(`${label} is ${n} characters (max ${max})`);
    if (LONE_SURROGATE.test(text)) problems.push(`${label} contains a lone surrogate`);
  };
  check('content', body.content, DISCORD_LIMITS.content);
  check('username', body.username, DISCORD_LIMITS.username);
  if (body.username !== undefined && body.username.trim() === '') problems.push('username is empty');
  check('avatar_url', body.avatar_url, DISCORD_LIMITS.url);
  body.embeds.forEach((e, i) => {
    const at = `embeds[${i}]`;
    check(`${at}.title`, e.title, DISCORD_LIMITS.title);
    check(`${at}.description`, e.description, DISCORD_LIMITS.description);
    check(`${at}.footer.text`, e.footer?.text, DISCORD_LIMITS.footer);
    check(`${at}.author.name`, e.author?.name, DISCORD_LIMITS.author);
    check(`${at}.url`, e.url, DISCORD_LIMITS.url);
    check(`${at}.thumbnail.url`, e.thumbnail?.url, DISCORD_LIMITS.url);
    const fields = e.fields ?? [];
    if (fields.length > DISCORD_LIMITS.fields)
      problems.push(`${at} has ${fields.length} fields (max ${DISCORD_LIMITS.fields})`);
    fields.forEach((f, j) => {
      check(`${at}.fields[${j}].name`, f.name, DISCORD_LIMITS.fieldName);
      check(`${at}.fields[${j}].value`, f.value, DISCORD_LIMITS.fieldValue);
      if (f.name.trim() === '') problems.push(`${at}.fields[${j}].name is empty`);
      if (f.value.trim() === '') problems.push(`${at}.fields[${j}].value is empty`);
    });
  });
  const total = embedTextLength(body.embeds);
  if (total > DISCORD_LIMITS.total) problems.push(`embed text totals ${total} characters (max 6000)`);
  return problems;
}
