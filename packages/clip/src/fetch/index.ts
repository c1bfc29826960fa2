/**
 * `@pmoves/clip/fetch` — SSRF-safe image fetching (no onnxruntime): timeout, byte limit,
 * content-type check, redirect limit, and an address policy checked after DNS resolution on the
 * very address the socket connects to, on every redirect hop.
 *
 * @packageDocumentation
 */
export { ClipError, isClipError, type ClipErrorCode, type EnvIssue } from '../errors';
export {
  createImageFetcher,
  fetchImage,
  ImageFetchOptionsSchema,
  type ConnectGuard,
  type ConnectTarget,
  type FetchCallOptions,
  type FetchedImage,
  type HostLookup,
  type ImageFetcher,
  type ImageFetchOptions,
  type ResolvedAddress,
} from './fetch-image';
export { classifyAddress, type AddressVerdict } from './address-policy';
export { imageFetchOptionsFromEnv } from './env';
