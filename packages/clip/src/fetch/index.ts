/**
 * SSRF-safe image fetching (placeholder until the rerank issue fills it in).
 *
 * @packageDocumentation
 */
export { ClipError } from '../errors';
