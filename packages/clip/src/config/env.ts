// The pure parsers that turn an environment into the options the local embedder and the model
// pull take, the choice between the remote client and the local embedder, and CLIP_ENV_VARS: every
// variable any parser of this package reads. No factory reads process.env; each parser reads
// every variable it knows and throws one ClipError('config') whose `issues` name every bad one.
import { resolve } from 'node:path';
import { EnvReader, envVarInfo, type Env, type EnvField, type EnvVarInfo } from '@pmoves/internal';
import type { ClipEmbedderOptions } from '../embedder/options';
import { FETCH_FIELDS } from '../fetch/env';
import { JELLYFIN_FIELDS } from '../indexer/env';
import { INDEX_FIELDS } from '../library/env';
import { DEFAULT_HUB_CACHE } from '../model/hub-cache';
import { REMOTE_ENV, remoteClipOptionsFromEnv, type RemoteClipOptions } from '../remote/options';
import { SERVER_ENV } from '../server/options';
import { VIDEO_FIELDS } from '../video/env';
import { EMBEDDER_FIELDS, HUB_FIELDS } from './fields';
import { absorbConfig, configError, setFields } from './read';

const fields = (group: Record<string, EnvField<unknown, unknown>>): EnvField<unknown, unknown>[] =>
  Object.values(group);

/**
 * Every environment variable this package's parsers read (name, description, accepted form,
 * default): the local embedder's and the hub's, the image fetcher's (`CLIP_IMAGE_FETCH_*`), the
 * remote client's, the server's (`PORT`, `HOST`, `CLIP_SERVER_*`), video (`FFMPEG_PATH`), the
 * similarity index's (`CLIP_INDEX_*` and its stores') and `pmoves-clip index`'s (`JELLYFIN_*`).
 * Each variable is listed once.
 */
export const CLIP_ENV_VARS: readonly EnvVarInfo[] = envVarInfo(
  [
    EMBEDDER_FIELDS,
    HUB_FIELDS,
    FETCH_FIELDS,
    REMOTE_ENV,
    SERVER_ENV,
    VIDEO_FIELDS,
    INDEX_FIELDS,
    JELLYFIN_FIELDS,
  ].flatMap(fields),
);

/** Where the hub cache is and how to reach the hub, from HF_HUB_CACHE / HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE. */
export interface HubOptions {
  cacheDir: string;
  endpoint: string;
  token?: string;
  offline: boolean;
}

/** The hub variables on a shared reader: HF_HUB_CACHE, else HF_HOME/hub, else the default cache. */
function readHub(reader: EnvReader): HubOptions {
  const cache = reader.get(HUB_FIELDS.hubCache);
  const home = reader.get(HUB_FIELDS.home);
  const token = reader.get(HUB_FIELDS.token);
  return {
    cacheDir: cache ? resolve(cache) : home ? resolve(home, 'hub') : DEFAULT_HUB_CACHE,
    endpoint: reader.get(HUB_FIELDS.endpoint),
    offline: reader.get(HUB_FIELDS.offline),
    ...(token !== undefined && { token }),
  };
}

function readEmbedder(reader: EnvReader): ClipEmbedderOptions {
  const set = setFields(reader, EMBEDDER_FIELDS) as Partial<ClipEmbedderOptions>;
  const { cacheDir, ...hub } = readHub(reader);
  return { ...set, hubCache: cacheDir, hub };
}

/**
 * The hub part of the environment alone (for `pmoves-clip pull`). Pure.
 *
 * @throws ClipError `config` naming every bad variable
 */
export function hubOptionsFromEnv(env: Env): HubOptions {
  const reader = new EnvReader(env);
  const options = readHub(reader);
  reader.finish(configError);
  return options;
}

/**
 * Options of `createClipEmbedder` from CLIP_MODEL, CLIP_MODEL_PATH, CLIP_CACHE_DIR, CLIP_REVISION,
 * CLIP_DTYPE, CLIP_DEVICE, CLIP_DEVICE_FALLBACK, CLIP_MAX_BATCH_BUFFERS, CLIP_AUTO_DOWNLOAD and the
 * hub's HF_HUB_CACHE, HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE. Pure: reads only `env`.
 * Unset variables are left out (the factory's defaults apply), except `hubCache` and `hub`, which
 * always say where the hub cache is and how to reach the hub.
 *
 * @throws ClipError `config` naming every bad variable (`issues` lists them)
 */
export function clipEmbedderOptionsFromEnv(env: Env): ClipEmbedderOptions {
  const reader = new EnvReader(env);
  const options = readEmbedder(reader);
  reader.finish(configError);
  return options;
}

/** What `createClipEmbedderFromEnv` builds: the remote client or the local embedder, with its options. */
export type ClipSetup =
  { kind: 'remote'; options: RemoteClipOptions } | { kind: 'local'; options: ClipEmbedderOptions };

/**
 * Which embedder an environment asks for, validated without creating it: the remote client when
 * CLIP_ENDPOINT is set (its options as `remoteClipOptionsFromEnv` returns them, documented
 * defaults filled in), the local embedder otherwise (as `clipEmbedderOptionsFromEnv`). Use it to
 * fail at start-up on a bad configuration.
 *
 * @throws ClipError `config` naming every bad variable (`issues` lists them)
 */
export function clipSetupFromEnv(env: Env): ClipSetup {
  const reader = new EnvReader(env);
  if (reader.has(REMOTE_ENV.endpoint.info.name)) {
    const options = absorbConfig(reader, () => remoteClipOptionsFromEnv(env), undefined);
    reader.finish(configError);
    return { kind: 'remote', options: options! };
  }
  const options = readEmbedder(reader);
  reader.finish(configError);
  return { kind: 'local', options };
}
