import { z } from 'zod';
import { assertValidLenient } from '../schemas/lenient';
import { PublishApprovedPayloadSchema } from '../schemas/published';
import type { BuildPublishedPayloadInput } from './build';
import { pyFloat, pyStr } from './python';

/** PMOVES publisher's `slugify()`: NFKD, ASCII only, lowercase, runs of other characters → `-`, or `item`. */
export function slugify(value: string | null | undefined): string {
  const ascii = (value ?? '')
    .normalize('NFKD')
    .replace(/[^\p{ASCII}]/gu, '')
    .toLowerCase();
  return ascii.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'item';
}

/** Python `os.path.join(a, b)` for a relative `b`. */
const joinPath = (a: string, b: string): string => (a === '' || a.endsWith('/') ? `${a}${b}` : `${a}/${b}`);

/** Python `os.path.splitext(name)[1]` for a bare file name. */
function splitExt(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || /^\.+$/.test(name.slice(0, dot + 1))) return '';
  return name.slice(dot);
}

/** PMOVES publisher's `_build_namespace_filename()`. */
function namespaceFilename(namespaceSlug: string, slug: string, extension: string): string {
  if (slug === namespaceSlug) return `${namespaceSlug}${extension}`;
  let part = slug;
  if (part.startsWith(`${namespaceSlug}-`)) {
    part = part.slice(namespaceSlug.length + 1);
    if (part.startsWith('-')) part = part.slice(1);
    part = part || namespaceSlug;
  }
  return `${part ? `${namespaceSlug}--${part}` : namespaceSlug}${extension}`;
}

/** Options of {@link publishInputFromApproval}: the publisher's environment and its Jellyfin lookup result. */
export interface ApprovalToPublishOptions {
  /** `MEDIA_LIBRARY_PATH`, the library root the file is written under. Default `/library/images`. */
  mediaLibraryPath?: string;
  /** `MEDIA_LIBRARY_PUBLIC_BASE_URL`; when set, the public URL is derived from the published path. */
  mediaLibraryPublicBaseUrl?: string | null;
  /** What the Jellyfin refresh returned (`jellyfin_refresh()` in PMOVES): public URL, item id and metadata. */
  jellyfin?: {
    public_url?: string | null;
    item_id?: string | null;
    meta?: Record<string, unknown> | null;
  };
}

const ApprovalInputSchema = PublishApprovedPayloadSchema.extend({
  // The Python publisher defaults a missing title to "untitled" and accepts a non-string slug.
  title: z.string().nullish(),
  artifact_uri: z.string().regex(/^s3:\/\/[^/]+\/.+$/, 'expected s3://bucket/key'),
});

const coerceText = (value: unknown): string | undefined =>
  value === null || value === undefined ? undefined : pyStr(value);

/**
 * Derives the {@link buildPublishedPayload} input from a `content.publish.approved.v1` payload the way PMOVES's
 * publisher `handle()` does before calling `build_published_payload()`: title defaults to `untitled`, namespace to
 * `pmoves-demo`; the published path is `{library}/{namespace_slug}/{namespace_slug}--{slug}{ext}` with the
 * extension taken from the S3 key (`.png` when it has none); the public URL is Jellyfin's or one derived from
 * `mediaLibraryPublicBaseUrl`; thumbnail and duration come from the payload, then its `meta`, then Jellyfin.
 * A `null` optional key (Python's `None`) counts as absent. Pure: nothing is downloaded or written.
 *
 * @throws {@link PublisherMetaValidationError} naming the failing field.
 */
export function publishInputFromApproval(
  approvalPayload: unknown,
  opts: ApprovalToPublishOptions = {},
): BuildPublishedPayloadInput {
  const payload = assertValidLenient(
    ApprovalInputSchema,
    approvalPayload,
    'content.publish.approved.v1 payload',
  );
  const key = /^s3:\/\/[^/]+\/(.+)$/.exec(payload.artifact_uri)?.[1] ?? '';
  const title = coerceText(payload.title) || 'untitled';
  const namespace = coerceText(payload.namespace) || 'pmoves-demo';
  const name = key.split('/').at(-1) ?? '';
  const ext = name.includes('.') ? `.${name.split('.').at(-1)}` : '.png';
  const slug = slugify(coerceText(payload.slug) || title);
  const namespaceSlug = slugify(namespace);
  const library = opts.mediaLibraryPath ?? '/library/images';
  const filename = namespaceFilename(namespaceSlug, slugify(slug), ext);
  const publishedPath = joinPath(joinPath(library, namespaceSlug), filename);

  const jellyfinMeta = opts.jellyfin?.meta ?? {};
  const jellyfinPublicUrl = opts.jellyfin?.public_url ?? null;
  const base = opts.mediaLibraryPublicBaseUrl;
  const derivedPublicUrl =
    jellyfinPublicUrl || (base ? `${base.replace(/\/+$/, '')}/${namespaceSlug}/${filename}` : null);

  const meta = payload.meta ?? {};
  const thumbnail =
    [payload.thumbnail_url, meta.thumbnail_url, jellyfinMeta.thumbnail_url].map(coerceText).find(Boolean) ??
    null;
  const duration =
    [payload.duration, meta.duration, jellyfinMeta.duration]
      .filter((v) => v !== null && v !== undefined)
      .map(pyFloat)
      .find((v) => v !== undefined) ?? null;

  return {
    artifact_uri: payload.artifact_uri,
    published_path: publishedPath,
    namespace,
    title,
    description: payload.description ?? null,
    tags: payload.tags ?? null,
    incoming_meta: payload.meta ?? null,
    public_url: derivedPublicUrl,
    jellyfin_item_id: opts.jellyfin?.item_id ?? null,
    jellyfin_public_url: jellyfinPublicUrl,
    thumbnail_url: thumbnail,
    duration,
    jellyfin_meta: jellyfinMeta as BuildPublishedPayloadInput['jellyfin_meta'],
    slug,
    namespace_slug: namespaceSlug,
    filename,
    extension: splitExt(filename),
  };
}
