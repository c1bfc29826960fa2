// Builds the publisher's enrichment hooks from the SDK packages, configured the PMOVES way (env).
//
// - CLIP: which of the item's thumbnails/frames best matches its title and description, via
//   @pmoves/rerank's clip provider (local model from CLIP_MODEL_PATH, or CLIP_ENDPOINT).
// - Audio: Qwen2-Audio summary/tags/mood of the published file, via @pmoves/qwen-audio, only
//   when JELLYFIN_AUDIO_QWEN_ENABLE is on.
import type { PublishedPayload } from '@pmoves/publisher-meta';
import { createQwenAudioAdapter, type QwenAudioAdapterOptions } from '@pmoves/qwen-audio';
import { createRerankerFromEnv, type Candidate, type Env } from '@pmoves/rerank';
import type { EnrichmentHooks } from './publisher-service';

/**
 * The images a published item offers for matching: `meta.frames` / `meta.thumbnails`
 * (`[{ id, url }]` or URL strings, e.g. video frames) and the item's own thumbnail.
 */
export function imageCandidates(payload: PublishedPayload): Candidate[] {
  const meta = (payload.meta ?? {}) as Record<string, unknown>;
  const out: Candidate[] = [];
  const push = (id: string, url: unknown) => {
    if (typeof url === 'string' && url && !out.some((c) => c.image === url)) out.push({ id, image: url });
  };
  for (const key of ['frames', 'thumbnails'] as const) {
    const list = meta[key];
    if (!Array.isArray(list)) continue;
    list.forEach((item, i) => {
      if (typeof item === 'string') push(`${key}[${i}]`, item);
      else if (item && typeof item === 'object') {
        const { id, url } = item as { id?: unknown; url?: unknown };
        push(typeof id === 'string' && id ? id : `${key}[${i}]`, url);
      }
    });
  }
  push('thumbnail', payload.thumbnail_url);
  return out;
}

/** The text a published item is matched against: title, then description. */
export const matchQuery = (p: PublishedPayload): string =>
  [p.title, p.description].filter((s): s is string => typeof s === 'string' && s.length > 0).join('. ');

/** CLIP hook over a reranker configured from env (`RERANK_PROVIDER` forced to `clip`). */
export function clipHookFromEnv(env: Env): NonNullable<EnrichmentHooks['clip']> {
  const reranker = createRerankerFromEnv({
    ...env,
    RERANK_ENABLE: 'true',
    RERANK_PROVIDER: 'clip',
    RERANK_FALLBACK: '',
  });
  return async (payload, signal) => {
    const candidates = imageCandidates(payload);
    const query = matchQuery(payload);
    if (candidates.length === 0 || !query) return undefined;
    const res = await reranker.rerank({ query, candidates, signal });
    if (!res.bestMatch) return undefined;
    return { best_match: { ...res.bestMatch, ...(res.model ? { model: res.model } : {}) } };
  };
}

/** Audio hook analysing the published file; undefined when the toggle is off. */
export function audioHookFromEnv(
  env: Env,
  options: QwenAudioAdapterOptions = {},
): EnrichmentHooks['audio'] | undefined {
  const adapter = createQwenAudioAdapter({ env, ...options });
  if (!adapter.enabled) return undefined;
  return async (payload, signal) => {
    const res = await adapter.analyze(payload.published_path, { signal });
    return 'status' in res && res.status === 'skipped' ? undefined : res;
  };
}
