import { z } from 'zod';
import {
  AudioTranscriptExcerptSchema,
  ClipBestMatchSchema,
  ClipCosineSchema,
  ClipSimilarAssetSchema,
} from '../schemas/enrichment';
import { assertValid } from '../schemas/errors';
import { assertValidLenient, type PublishedPayloadInput } from '../schemas/lenient';
import { PublishedPayloadSchema } from '../schemas/published';
import { coerceTags, pyFloat, pyRound, pyStr, pyTruthy } from '../payload/python';
import { fitEmbedText, type FieldDraft } from './fit';
import { DISCORD_LIMITS, discordLength, type DiscordEmbed, type DiscordWebhookBody } from './limits';
import { codePiece, listPiece, tagListPiece, textPiece, Tier, withSuffix, type Piece } from './pieces';
import { splitText, truncateText } from './truncate';
import { wellFormedDeep } from './well-formed';

/** Colour of `content.published.v1` embeds in PMOVES (Tailwind green-500). */
export const PUBLISHED_EMBED_COLOR = 0x22c55e;
/** Default title prefix (`DISCORD_PUBLISH_PREFIX`). */
export const DEFAULT_PUBLISH_PREFIX = 'Published: ';
/** Default webhook display name (`DISCORD_USERNAME`). */
export const DEFAULT_DISCORD_USERNAME = 'PMOVES';

/** Options of {@link formatPublishedEmbed}; `discordOptionsFromEnv(env)` reads them the way PMOVES does. */
export const DiscordFormatOptionsSchema = z.strictObject({
  /** Title prefix; default `"Published: "`. An empty prefix gives the bare title. */
  prefix: z.string().optional(),
  /** Webhook display name; default `PMOVES`. */
  username: z.string().optional(),
  /** Webhook avatar URL; none when empty. */
  avatarUrl: z.string().optional(),
  /** Jellyfin base URL for the deep link when the payload has an item id but no Jellyfin URL. */
  jellyfinBaseUrl: z.string().optional(),
  /** Optional message text above the embed (PMOVES sends none); cut to 2000 characters. */
  content: z.string().optional(),
});

/** Options of {@link formatPublishedEmbed}. */
export type DiscordFormatOptions = z.input<typeof DiscordFormatOptionsSchema>;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const firstTruthy = (...values: unknown[]) => values.find(pyTruthy);
const isBlank = (text: string) => text.trim() === '';

/** A URL Discord accepts in an embed: http(s) (or `attachment://` for images), at most 2048 characters. */
function acceptableUrl(value: unknown, allowAttachment = false): value is string {
  if (typeof value !== 'string' || !value || discordLength(value) > DISCORD_LIMITS.url) return false;
  if (allowAttachment && value.startsWith('attachment://')) return true;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Python `int()` for a thumbnail dimension; `undefined` where Python raises. */
function pyInt(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  return undefined;
}

/** publisher-discord's `_pick_thumbnail`: `thumb`, then `cover_art.url`, then the largest `cover_art.thumbnails`. */
function pickThumbnail(payload: Json): string | undefined {
  if (typeof payload.thumb === 'string' && payload.thumb) return payload.thumb;
  const cover = payload.cover_art;
  if (!isObject(cover)) return undefined;
  if (typeof cover.url === 'string' && cover.url) return cover.url;
  if (!Array.isArray(cover.thumbnails)) return undefined;
  let best: [number, string] | undefined;
  for (const item of cover.thumbnails) {
    if (!isObject(item) || typeof item.url !== 'string' || !item.url) continue;
    let size = 0;
    for (const dim of ['width', 'height']) size += pyInt(item[dim] || 0) ?? 0;
    if (!best || size > best[0] || (size === best[0] && item.url > best[1])) best = [size, item.url];
  }
  return best?.[1];
}

/** `H:MM:SS` of the seconds rounded the way Python's `round()` does. */
export function formatDuration(seconds: number): string {
  const total = pyRound(seconds);
  const hours = Math.floor(total / 3600);
  const rest = total - hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest - minutes * 60;
  return `${hours}:${String(minutes).padStart(2, '0')}:${String(secs).padStart(2, '0')}`;
}

/** `&startTime=N` from the first usable timestamp candidate, as publisher-discord picks it. */
function startTimeParam(payload: Json, meta: Json): string {
  const candidates = [
    ...['t', 'start', 'start_time', 'position'].map((k) => payload[k]),
    ...['t', 'start', 'start_time', 'timestamp', 'position'].map((k) => meta[k]),
  ];
  for (const candidate of candidates) {
    if (candidate === null || candidate === undefined || candidate === '') continue;
    const value = pyFloat(candidate);
    if (value === undefined) continue;
    const seconds = pyRound(value);
    if (seconds < 0) continue;
    return `&startTime=${seconds}`;
  }
  return '';
}

/** Similar assets listed in the embed; the rest of `meta.clip_similarity` is left out. */
const SIMILAR_SHOWN = 10;
const SimilarAssetsSchema = z.array(ClipSimilarAssetSchema);

/**
 * The enrichment fields ("Audio mood", "Audio tags", "Audio summary", "Audio transcript", "Top CLIP match",
 * "Similar assets"), each when present.
 */
function enrichmentFields(meta: Json): FieldDraft[] {
  const fields: FieldDraft[] = [];
  const mood = z.string().safeParse(meta.audio_mood);
  if (mood.success && !isBlank(mood.data)) {
    fields.push({ name: 'Audio mood', value: textPiece(mood.data, Tier.Enrichment), inline: true });
  }
  const audioTags = coerceTags(meta.audio_tags).slice(0, 12);
  if (audioTags.length) {
    fields.push({ name: 'Audio tags', value: tagListPiece(audioTags, Tier.Enrichment), inline: false });
  }
  const summary = z.string().safeParse(meta.audio_summary);
  if (summary.success && !isBlank(summary.data)) {
    const confidence = z.number().min(0).max(1).safeParse(meta.qwen_confidence);
    const piece = textPiece(summary.data, Tier.Enrichment);
    fields.push({
      name: 'Audio summary',
      value: confidence.success ? withSuffix(piece, `\n_confidence ${confidence.data.toFixed(2)}_`) : piece,
      inline: false,
    });
  }
  // Each key is parsed only when it has the right type: a failed safeParse builds an error, which is not free.
  const transcript =
    typeof meta.audio_transcript === 'string'
      ? AudioTranscriptExcerptSchema.safeParse(meta.audio_transcript)
      : undefined;
  if (transcript?.success) {
    fields.push({
      name: 'Audio transcript',
      value: textPiece(transcript.data, Tier.Enrichment),
      inline: false,
    });
  }
  const match = ClipBestMatchSchema.safeParse(meta.clip_best_match);
  if (match.success) {
    // The deprecated single-number form of clip_similarity is shown next to the best match, as before.
    const similarity =
      typeof meta.clip_similarity === 'number' ? ClipCosineSchema.safeParse(meta.clip_similarity) : undefined;
    const details = [`cosine ${match.data.score.toFixed(3)}`];
    if (similarity?.success) details.push(`similarity ${similarity.data.toFixed(3)}`);
    if (match.data.model) details.push(match.data.model);
    fields.push({
      name: 'Top CLIP match',
      value: withSuffix(codePiece(match.data.asset_id, Tier.Enrichment), ` · ${details.join(' · ')}`),
      inline: true,
    });
  }
  const similar = Array.isArray(meta.clip_similarity)
    ? SimilarAssetsSchema.safeParse(meta.clip_similarity)
    : undefined;
  if (similar?.success && similar.data.length > 0) {
    const shown = similar.data.slice(0, SIMILAR_SHOWN);
    const more = similar.data.length - shown.length;
    fields.push({
      name: 'Similar assets',
      value: listPiece(
        shown.map((a) => ({ head: a.asset_id, tail: ` · ${a.score.toFixed(3)}` })),
        more > 0 ? `\n…and ${more} more` : '',
        Tier.Enrichment,
      ),
      inline: false,
    });
  }
  return fields;
}

/**
 * Formats a `content.published.v1` payload as the Discord webhook body PMOVES's `publisher-discord` sends for it,
 * plus the enrichment fields, always within Discord's limits.
 *
 * Same as upstream: title = prefix + (`title` or `slug` or `published_path` or `content`); colour `0x22c55e`;
 * `url` = `public_url` or `jellyfin_public_url`; description `[Open published content](url)`, or `Path:` and
 * `Namespace:` lines when there is no URL; fields Public URL (or `_not available_`), Namespace, Published Path,
 * Artifact URI, Duration (`H:MM:SS`), Jellyfin Item, Jellyfin (the URL or a
 * `{base}/web/index.html#!/details?id=…&startTime=…` deep link), Tags (at most 12), then the summary (`summary`,
 * `description` or `meta.summary`: into the description when it has none — the first 1800 characters, the rest in
 * "Summary (cont.)" — else a "Summary" field); thumbnail from `thumbnail_url`, `meta.thumbnail_url`, `thumb`,
 * `cover_art`; `username` and `avatar_url`.
 *
 * Added: "Audio mood", "Audio tags", "Audio summary" (with the confidence), "Audio transcript" (the excerpt),
 * "Top CLIP match" (asset and cosine) and "Similar assets" (the first 10 of `clip_similarity`, one per line with
 * its cosine) from the enrichment keys of `meta`.
 *
 * Input is read leniently: a `null` optional key counts as absent (Python's `None`), and lone surrogates
 * (not valid Unicode, refused by Discord) become U+FFFD before anything is measured.
 *
 * Different on purpose, so that Discord always accepts the body: lengths are counted in code points; text is
 * shortened by priority (see `fitEmbedText`) at grapheme-cluster boundaries, never inside a markdown link, with an
 * ellipsis where cut; fields with blank values are left out; URLs Discord would reject (not http(s), or longer than
 * 2048) are not used as `url`, thumbnail or avatar; a username that is blank or contains "discord"/"clyde" (which
 * Discord refuses) is left out, a long one cut to 80.
 *
 * @throws {@link PublisherMetaValidationError} when the payload or the options are invalid, naming the field
 *   (also when the payload nests deeper than `MAX_JSON_DEPTH`).
 */
export function formatPublishedEmbed(
  payload: PublishedPayloadInput,
  opts: DiscordFormatOptions = {},
): DiscordWebhookBody {
  const clean = assertValidLenient(PublishedPayloadSchema, payload, 'content.published.v1 payload', [
    'payload',
  ]);
  const p = wellFormedDeep(clean) as Json;
  const o = wellFormedDeep(assertValid(DiscordFormatOptionsSchema, opts, 'Discord options', ['opts']));
  const meta = isObject(p.meta) ? p.meta : {};

  const titleSource = firstTruthy(p.title, p.slug, p.published_path);
  const title = `${o.prefix ?? DEFAULT_PUBLISH_PREFIX}${titleSource ? pyStr(titleSource) : 'content'}`;
  // A blank URL counts as none (upstream would send a blank field Discord refuses).
  const publicUrl = [p.public_url, p.jellyfin_public_url].find((u) => pyTruthy(u) && !isBlank(pyStr(u)));
  const publishedPath = p.published_path;
  const namespace = firstTruthy(p.namespace, p.workspace);
  const artifactUri = p.artifact_uri;
  const jellyfinItemId = firstTruthy(p.jellyfin_item_id, meta.jellyfin_item_id);
  const jellyfinPublicUrl = firstTruthy(p.jellyfin_public_url, meta.jellyfin_public_url);
  const rawDuration = p.duration ?? meta.duration;
  const duration = rawDuration === null || rawDuration === undefined ? undefined : pyFloat(rawDuration);

  const fields: FieldDraft[] = [];
  const field = (name: string, value: Piece, inline: boolean, continues = false) => {
    if (value.natural > 0) fields.push({ name, value, inline, continues });
  };
  const text = (value: unknown, tier: Tier) => {
    const s = pyStr(value);
    return textPiece(isBlank(s) ? '' : s, tier);
  };
  const code = (value: unknown, tier: Tier) => {
    const s = pyStr(value);
    return isBlank(s) ? textPiece('', tier) : codePiece(s, tier);
  };

  const lines: string[] = [];
  let embedUrl: string | undefined;
  if (typeof publicUrl === 'string' && publicUrl) {
    embedUrl = publicUrl;
    lines.push(`[Open published content](${publicUrl})`);
    field('Public URL', text(publicUrl, Tier.Core), false);
  } else {
    field('Public URL', textPiece('_not available_', Tier.Core), false);
    if (pyTruthy(publishedPath)) lines.push(`Path: \`${pyStr(publishedPath)}\``);
  }
  if (namespace) {
    field('Namespace', text(namespace, Tier.Core), true);
    if (!publicUrl) lines.push(`Namespace: \`${pyStr(namespace)}\``);
  }
  if (pyTruthy(publishedPath)) field('Published Path', code(publishedPath, Tier.Core), false);
  if (pyTruthy(artifactUri)) field('Artifact URI', text(artifactUri, Tier.Core), false);
  if (duration !== undefined) field('Duration', textPiece(formatDuration(duration), Tier.Optional), true);
  if (jellyfinItemId) {
    field('Jellyfin Item', code(jellyfinItemId, Tier.Optional), true);
    if (jellyfinPublicUrl) {
      field('Jellyfin', text(jellyfinPublicUrl, Tier.Optional), false);
    } else {
      const base = firstTruthy(p.jellyfin_base_url, meta.jellyfin_base_url, o.jellyfinBaseUrl);
      if (typeof base === 'string' && base) {
        const link = `${base.replace(/\/+$/, '')}/web/index.html#!/details?id=${pyStr(jellyfinItemId)}${startTimeParam(p, meta)}`;
        field('Jellyfin', textPiece(link, Tier.Optional), false);
      }
    }
  }
  const tags = coerceTags(pyTruthy(p.tags) ? p.tags : meta.tags);
  if (tags.length) field('Tags', tagListPiece(tags.slice(0, 12), Tier.Optional), false);

  let description: Piece | undefined = lines.length ? textPiece(lines.join('\n'), Tier.Core) : undefined;
  const summarySource =
    firstTruthy(p.summary, p.description) ?? (pyTruthy(meta.summary) ? meta.summary : undefined);
  if (summarySource !== undefined) {
    const summary = pyStr(summarySource);
    if (!description) {
      const [head, overflow] = splitText(summary, 1800);
      if (!isBlank(head)) description = textPiece(head, Tier.Summary);
      if (!isBlank(overflow)) field('Summary (cont.)', textPiece(overflow, Tier.Summary), false, true);
    } else if (!isBlank(summary)) {
      field('Summary', textPiece(summary, Tier.Summary), false);
    }
  }
  fields.push(...enrichmentFields(meta));

  const fitted = fitEmbedText({ title: textPiece(title, Tier.Core), description, fields });
  const embed: DiscordEmbed = { title: fitted.title, fields: fitted.fields, color: PUBLISHED_EMBED_COLOR };
  if (acceptableUrl(embedUrl)) embed.url = embedUrl;
  if (fitted.description !== undefined) embed.description = fitted.description;
  const thumbnail = [p.thumbnail_url, meta.thumbnail_url, pickThumbnail(p)].find((u) =>
    acceptableUrl(u, true),
  );
  if (typeof thumbnail === 'string') embed.thumbnail = { url: thumbnail };

  // Key order as upstream's `_post_discord`: username, avatar_url, content, embeds.
  const body: Partial<DiscordWebhookBody> = {};
  const username = o.username ?? DEFAULT_DISCORD_USERNAME;
  if (!isBlank(username) && !/discord|clyde/i.test(username)) {
    body.username = truncateText(username, DISCORD_LIMITS.username);
  }
  if (acceptableUrl(o.avatarUrl)) body.avatar_url = o.avatarUrl;
  if (o.content && !isBlank(o.content)) body.content = truncateText(o.content, DISCORD_LIMITS.content);
  body.embeds = [embed];
  return body as DiscordWebhookBody;
}
