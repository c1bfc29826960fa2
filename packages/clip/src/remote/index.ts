/**
 * Remote CLIP client: a `ClipEmbedder` over one or more `pmoves-clip serve` servers
 * (`CLIP_ENDPOINT`, comma-separated; `CLIP_TIMEOUT` in seconds), with retries honouring
 * Retry-After and checks of the served model and dimensions.
 *
 * @packageDocumentation
 */
export { createRemoteClipEmbedder, type RemoteClipEmbedder } from './remote-embedder';
export { remoteClipOptionsFromEnv, RemoteClipOptionsSchema, type RemoteClipOptions } from './options';
