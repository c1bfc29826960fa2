import { z } from 'zod';
import { assertValid } from '../schemas/errors';
import { stripNullOptionals } from '../schemas/lenient';
import {
  PublishedMetaSchema,
  PublishedPayloadSchema,
  S3UriSchema,
  type PublishedPayload,
} from '../schemas/published';
import { cloneJson, coerceTags, pyTruthy } from './python';

const optionalText = z.string().nullish();
const jsonObject = z.record(z.string(), z.json());

/**
 * Input of {@link buildPublishedPayload}: the keyword arguments of PMOVES's Python `build_published_payload()`,
 * with the same snake_case names so the two can be read side by side. `null` and a missing key both mean Python's
 * `None`.
 */
export const BuildPublishedPayloadInputSchema = z.strictObject({
  /** Source artifact, `s3://bucket/key`. */
  artifact_uri: S3UriSchema,
  /** Where the publisher wrote the file (e.g. `/library/images/ns/ns--slug.png`). */
  published_path: z.string(),
  /** Namespace; always copied to the payload. */
  namespace: z.string(),
  /** Title; the payload gets it only when non-empty, `meta.title` gets it when missing. */
  title: z.string(),
  /** Description; used only when non-empty. */
  description: optionalText,
  /**
   * Tags: a list (copied as is) or one string. Deliberate difference from Python, which turns a string into a list of
   * its characters: a string is split on commas, trimmed and emptied items dropped (the Discord publisher's rule),
   * so `"lofi"` is one tag.
   */
  tags: z.union([z.array(z.string()), z.string()]).nullish(),
  /**
   * The approval event's `meta`; copied, never modified. A `null` in one of the typed enrichment keys
   * (`audio_mood`, `clip_best_match`, `clip_best_match.model`…) counts as absent and is left out; other keys are
   * copied as they are, `null` included.
   */
  incoming_meta: jsonObject.nullish(),
  /** Public URL of the published file. */
  public_url: optionalText,
  /** Jellyfin item id. */
  jellyfin_item_id: optionalText,
  /** Jellyfin URL of the item. */
  jellyfin_public_url: optionalText,
  /** Thumbnail URL. */
  thumbnail_url: optionalText,
  /** Duration in seconds (`0` is kept). */
  duration: z.number().nullish(),
  /** Metadata returned by the Jellyfin lookup; its non-null values are merged into `meta`. */
  jellyfin_meta: z.record(z.string(), z.json().optional()).nullish(),
  /** Slug of the item (`meta.slug` when missing). */
  slug: z.string(),
  /** Slug of the namespace (`meta.namespace_slug` when missing). */
  namespace_slug: z.string(),
  /** File name of the published file; always overwrites `meta.filename`. */
  filename: z.string(),
  /** Extension, with or without dots; always overwrites `meta.extension`, leading dots stripped. */
  extension: z.string().nullish(),
});

/** Input of {@link buildPublishedPayload}. */
export type BuildPublishedPayloadInput = z.input<typeof BuildPublishedPayloadInputSchema>;

const isNone = (value: unknown): value is null | undefined => value === null || value === undefined;

/**
 * Builds a `content.published.v1` payload exactly as PMOVES's Python `build_published_payload()`
 * (`services/publisher/publisher.py`) does:
 *
 * - top-level keys in this order: `artifact_uri`, `published_path`, `namespace` (always); `title`, `description`,
 *   `tags` when truthy; `thumbnail_url` when truthy; `duration` when not null (`0` is kept); `meta`; then
 *   `public_url`, `jellyfin_item_id`, `jellyfin_public_url` when truthy;
 * - `meta` starts as a copy of `incoming_meta`; `title`, `slug`, `namespace_slug` are set only when the key is
 *   missing; `description` and `tags` are overwritten only when truthy; `filename` is always overwritten and
 *   `extension` always overwritten with every leading dot stripped (or `""`); then the non-null `jellyfin_meta`
 *   values merged with `thumbnail_url`/`duration`/`jellyfin_public_url`/`jellyfin_item_id` (these win over
 *   Jellyfin's keys when not null; `false` and `""` are kept).
 *
 * Deliberate differences: `tags` given as one string becomes one tag, or several when comma-separated (Python makes
 * a list of characters); a `null` typed enrichment key in `incoming_meta` is left out (Python copies it). The result is validated against {@link PublishedPayloadSchema} (Python validates it later,
 * in `envelope()`), shares no objects with the input, and the input is never modified.
 *
 * @throws {@link PublisherMetaValidationError} naming the failing field.
 */
export function buildPublishedPayload(input: BuildPublishedPayloadInput): PublishedPayload {
  const args = assertValid(BuildPublishedPayloadInputSchema, input, 'buildPublishedPayload input');
  const tags = typeof args.tags === 'string' ? coerceTags(args.tags) : args.tags;

  const payload: Record<string, unknown> = {
    artifact_uri: args.artifact_uri,
    published_path: args.published_path,
    namespace: args.namespace,
  };
  if (pyTruthy(args.title)) payload.title = args.title;
  if (pyTruthy(args.description)) payload.description = args.description;
  if (pyTruthy(tags)) payload.tags = [...(tags as string[])];
  if (pyTruthy(args.thumbnail_url)) payload.thumbnail_url = args.thumbnail_url;
  if (!isNone(args.duration)) payload.duration = args.duration;
  payload.meta = mergeMetadata(args, tags);
  if (pyTruthy(args.public_url)) payload.public_url = args.public_url;
  if (pyTruthy(args.jellyfin_item_id)) payload.jellyfin_item_id = args.jellyfin_item_id;
  if (pyTruthy(args.jellyfin_public_url)) payload.jellyfin_public_url = args.jellyfin_public_url;

  return assertValid(PublishedPayloadSchema, payload, 'content.published.v1 payload');
}

/** Python `merge_metadata()` + `_combine_meta()`. */
function mergeMetadata(
  args: z.output<typeof BuildPublishedPayloadInputSchema>,
  tags: string[] | null | undefined,
): Record<string, unknown> {
  const incoming = stripNullOptionals(PublishedMetaSchema, args.incoming_meta ?? {});
  const meta: Record<string, unknown> = cloneJson(incoming as Record<string, unknown>);
  if (!Object.hasOwn(meta, 'title')) meta.title = args.title;
  if (pyTruthy(args.description)) meta.description = args.description;
  if (pyTruthy(tags)) meta.tags = [...(tags as string[])];
  if (!Object.hasOwn(meta, 'slug')) meta.slug = args.slug;
  if (!Object.hasOwn(meta, 'namespace_slug')) meta.namespace_slug = args.namespace_slug;
  meta.filename = args.filename;
  meta.extension = args.extension ? args.extension.replace(/^\.+/, '') : '';

  // _combine_meta(jellyfin_meta, extras): Jellyfin's keys first, then the extras that are not None on top.
  const additional: Record<string, unknown> = cloneJson(args.jellyfin_meta ?? {});
  const extras = {
    thumbnail_url: args.thumbnail_url,
    duration: args.duration,
    jellyfin_public_url: args.jellyfin_public_url,
    jellyfin_item_id: args.jellyfin_item_id,
  };
  for (const [key, value] of Object.entries(extras)) if (!isNone(value)) additional[key] = value;
  // merge_metadata drops the None values of the combined dict.
  for (const [key, value] of Object.entries(additional)) if (!isNone(value)) meta[key] = value;
  return meta;
}
