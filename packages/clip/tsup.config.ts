import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

/** The library entries (each a package.json export with its own .d.ts). */
export const LIBRARY_ENTRIES = {
  // The library.
  index: 'src/index.ts',
  // The SSRF-safe image fetcher and the environment parsers: neither loads onnxruntime nor sharp
  // (used by @pmoves/rerank).
  fetch: 'src/fetch/index.ts',
  config: 'src/config/index.ts',
  // The embedding server and its wire schemas (serves any embedder it is given; no onnxruntime).
  server: 'src/server/index.ts',
  // Frame embeddings through ffmpeg.
  video: 'src/video/index.ts',
  // The similarity index, its stores (drivers loaded on first use) and the Jellyfin indexer.
  library: 'src/library/index.ts',
};

/** The browser build (`./web` and the `browser` condition): ESM only, no Node module. */
export const WEB_ENTRIES = { web: 'src/web/index.ts' };

const node: Options = {
  entry: {
    ...LIBRARY_ENTRIES,
    // The `pmoves-clip` bin and its `pmoves-clip-server` alias.
    cli: 'src/cli/bin.ts',
    'server-cli': 'src/server/cli.ts',
    // The worker threads, loaded by URL next to the bundle.
    'preprocess-worker': 'src/embedder/preprocess-worker.ts',
    'inference-worker': 'src/model/inference-worker.ts',
  },
  format: ['esm', 'cjs'],
  // Shared code goes into chunks in both formats, so `.`, `./fetch` and `./config` share one
  // ClipError class (tsup bundles each CJS entry on its own unless splitting is on).
  splitting: true,
  dts: { entry: LIBRARY_ENTRIES, resolve: ['@pmoves/internal'] },
  sourcemap: true,
  // Not tsup's clean: with two configs built in parallel, its d.ts clean-up of this one deleted the
  // web build's web.d.ts (the packaging test caught it). The build script empties dist/ first.
  clean: false,
  target: 'node20',
  // Our private helpers are bundled in: published packages depend on nothing of ours.
  noExternal: ['@pmoves/internal'],
  // import.meta.url in the CJS build (the workers are found next to the bundle from it).
  shims: true,
};

const web: Options = {
  entry: { ...WEB_ENTRIES, 'web-worker': 'src/web/worker.ts' },
  format: ['esm'],
  platform: 'browser',
  target: 'es2022',
  splitting: true,
  dts: { entry: WEB_ENTRIES, resolve: ['@pmoves/internal'] },
  sourcemap: true,
  clean: false,
  noExternal: ['@pmoves/internal'],
  external: ['onnxruntime-web', '@huggingface/tokenizers', 'zod'],
  esbuildPlugins: [
    {
      // In source the page module starts `./worker.ts` (bundlers such as Vite follow the literal);
      // in dist the worker is `web-worker.js` next to `web.js`.
      name: 'pmoves-web-worker-url',
      setup(build) {
        build.onLoad({ filter: /[\\/]src[\\/]web[\\/]index\.ts$/ }, (args) => {
          const code = readFileSync(args.path, 'utf8');
          const out = code.replace(
            "new URL('./worker.ts', import.meta.url)",
            "new URL('./web-worker.js', import.meta.url)",
          );
          if (out === code)
            throw new Error('src/web/index.ts no longer starts ./worker.ts: update tsup.config.ts');
          return { contents: out, loader: 'ts' };
        });
      },
    },
  ],
};

export default defineConfig([node, web]);
