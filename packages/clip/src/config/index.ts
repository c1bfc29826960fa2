/**
 * `@pmoves/clip/config` — the package's environment parsers, without onnxruntime or sharp: pure
 * functions from an environment to the options the factories take, each throwing one
 * `ClipError('config')` whose `issues` name every bad variable, and the list of variables read.
 *
 * @packageDocumentation
 */
export { ClipError, isClipError, type ClipErrorCode, type EnvIssue } from '../errors';
export type { EnvVarInfo } from '@pmoves/internal';
export { CLIP_ENV_VARS, clipEmbedderOptionsFromEnv, clipSetupFromEnv, type ClipSetup } from './env';
export { imageFetchOptionsFromEnv } from '../fetch/env';
export { remoteClipOptionsFromEnv, type RemoteClipOptions } from '../remote';
export type { ClipEmbedderOptions } from '../embedder/options';
export type { ImageFetchOptions } from '../fetch/fetch-image';
