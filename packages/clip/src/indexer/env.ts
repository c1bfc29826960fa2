// The variables `pmoves-clip index` reads besides the index's (CLIP_INDEX_*), the embedder's and
// FFMPEG_PATH: where the Jellyfin library is.
import { envString, envUrl } from '@pmoves/internal';

/** Jellyfin's URL and API key. */
export const JELLYFIN_FIELDS = {
  url: envUrl('JELLYFIN_URL', 'Jellyfin server `pmoves-clip index` reads'),
  apiKey: envString('JELLYFIN_API_KEY', 'Jellyfin API key', { secret: true }),
};
