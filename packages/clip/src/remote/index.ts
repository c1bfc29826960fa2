/**
 * Remote CLIP client: a `ClipEmbedder` over a `pmoves-clip-server` (`CLIP_ENDPOINT`,
 * `CLIP_TIMEOUT` in seconds).
 *
 * @packageDocumentation
 */
export {
  createRemoteClipEmbedder,
  remoteClipOptionsFromEnv,
  RemoteClipOptionsSchema,
  type RemoteClipEmbedder,
  type RemoteClipOptions,
} from './remote-embedder';
