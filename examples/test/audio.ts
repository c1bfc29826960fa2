// Audio made at test time with the ffmpeg @pmoves/qwen-audio bundles.
import { synthesize } from '../demo/src/media';

/** Writes `seconds` of a sine tone to `out` (format from the extension). */
export const synthTone = (out: string, freq = 440, seconds = 3): Promise<string> =>
  synthesize(out, `sine=frequency=${freq}:duration=${seconds}`);
