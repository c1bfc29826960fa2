// The processor's JSON logger (the examples' shared one, lines tagged with the service).
import { createLogger } from '../../common/src/log';

/** One JSON line on stderr: `{ ts, level, service: "jellyfin-audio-processor", msg, ...fields }`. */
export const log = createLogger('jellyfin-audio-processor');
