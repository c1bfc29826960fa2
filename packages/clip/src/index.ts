/**
 * @pmoves/clip — CLIP image/text/video-frame embeddings on onnxruntime with reference-exact preprocessing, provider fallback, an embedding server and a remote client.
 *
 * @packageDocumentation
 */

/** Version of this package's public API contract. */
export const API_VERSION = '0.0.0';
