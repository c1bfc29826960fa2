// Vite config of the visual-search page. The SDK is taken from source (the `@pmoves/source`
// condition); onnxruntime-web loads its wasm and glue from `./ort/`, served from
// node_modules/onnxruntime-web/dist (never a CDN): by the dev server here, and copied next to the
// build with `PMOVES_COPY_ORT=1`. COOP/COEP headers make the page cross-origin isolated, so WASM
// runs multi-threaded.
import { createReadStream, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
/** node_modules/onnxruntime-web/dist. */
export const ORT_DIST = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
/** The wasm builds the page's onnxruntime-web (WebGPU + WASM) loads. */
export const ORT_FILES = ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'];

/** Cross-origin isolation (SharedArrayBuffer, hence WASM threads). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Module ids a browser bundle must never contain (Node builtins Vite stubs out, native addons). */
export const NODE_ONLY =
  /^(__vite-browser-external|node:)|[\\/]node_modules[\\/](sharp|onnxruntime-node|@img|@ffmpeg-installer)[\\/]|^(fs|path|os|worker_threads|child_process|stream|crypto)$/;

/**
 * The build check: fails the build when any module of the page or its worker is Node-only
 * (`sharp`, `onnxruntime-node`, `fs`, `worker_threads`, …), naming it and who imported it, and
 * writes the size of each output file to `bundle-report.json`.
 */
export function browserOnly(report?: (entry: { file: string; bytes: number }) => void): Plugin {
  return {
    name: 'pmoves-browser-only',
    generateBundle(_options, bundle) {
      const bad: string[] = [];
      for (const id of this.getModuleIds()) {
        if (!NODE_ONLY.test(id)) continue;
        const info = this.getModuleInfo(id);
        bad.push(`${id} (imported by ${info?.importers.join(', ') || 'the entry'})`);
      }
      if (bad.length > 0) this.error(`Node-only modules in the browser bundle: ${bad.join('; ')}`);
      for (const [file, out] of Object.entries(bundle)) {
        const bytes = out.type === 'chunk' ? Buffer.byteLength(out.code) : out.source.length;
        report?.({ file, bytes });
      }
    },
  };
}

function localOrt(): Plugin {
  let outDir = '';
  return {
    name: 'pmoves-local-ort',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use('/ort/', (req, res, next) => {
        const name = (req.url ?? '').split('?')[0]!.replace(/^\//, '');
        const path = join(ORT_DIST, name);
        if (!/^ort-wasm[\w.-]+\.(wasm|mjs)$/.test(name) || !existsSync(path)) return next();
        res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        createReadStream(path).pipe(res);
      });
    },
    closeBundle() {
      if (process.env.PMOVES_COPY_ORT !== '1') return;
      mkdirSync(join(outDir, 'ort'), { recursive: true });
      for (const f of ORT_FILES) copyFileSync(join(ORT_DIST, f), join(outDir, 'ort', f));
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  resolve: {
    // `onnxruntime-web-use-extern-wasm`: onnxruntime-web's build that loads its wasm glue from
    // wasmPaths instead of inlining it (so the files come from ./ort/).
    conditions: ['@pmoves/source', 'onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  worker: { format: 'es', plugins: () => [browserOnly()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048, emptyOutDir: true },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  plugins: [localOrt(), browserOnly()],
});
