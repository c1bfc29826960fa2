#!/usr/bin/env node
// pmoves-clip-server: the embedding server over the local embedder, configured from the
// environment. The embedder's CLIP_* variables (CLIP_MODEL, CLIP_MODEL_PATH, CLIP_CACHE_DIR,
// CLIP_DTYPE, CLIP_DEVICE) are read by createClipEmbedder itself.
import { imageFetchOptionsFromEnv } from '../fetch/fetch-image';
import { startClipServer } from './listen';

function num(name: string, def: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`${name} must be a non-negative number; received ${JSON.stringify(raw)}`);
  return n;
}

async function main(): Promise<void> {
  const port = num('PORT', 8095);
  const host = process.env.HOST?.trim() || '127.0.0.1';
  // Loaded lazily so `--help`-style failures in configuration surface before onnxruntime loads.
  const { createClipEmbedder } = await import('../embedder/embedder');
  const embedder = await createClipEmbedder();
  const server = await startClipServer({
    embedder,
    port,
    host,
    fetchOptions: imageFetchOptionsFromEnv(process.env),
    maxBatch: num('CLIP_SERVER_MAX_BATCH', 64),
    maxBodyBytes: num('CLIP_SERVER_MAX_BODY_BYTES', 32 * 1024 * 1024),
    requestTimeoutMs: Math.round(num('CLIP_SERVER_TIMEOUT', 60) * 1000),
  });
  const info = embedder.info();
  console.error(
    `pmoves-clip-server listening on ${server.url} (model ${info.model}, ${info.dtype} on ${info.provider}, ${info.dims} dims)`,
  );
  const stop = async () => {
    await server.close();
    await embedder.dispose();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`pmoves-clip-server: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
