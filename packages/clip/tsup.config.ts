import { defineConfig } from 'tsup';

export default defineConfig({
  // index: the library; fetch: the SSRF-safe image fetcher without onnxruntime (used by
  // @pmoves/rerank); server-cli: the `pmoves-clip-server` bin.
  // preprocess-worker: the image preprocessing worker thread, loaded by URL next to the bundle.
  entry: {
    index: 'src/index.ts',
    fetch: 'src/fetch/index.ts',
    'server-cli': 'src/server/cli.ts',
    'preprocess-worker': 'src/embedder/preprocess-worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', fetch: 'src/fetch/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // import.meta.url in the CJS build (the inference worker resolves onnxruntime-node from it).
  shims: true,
});
