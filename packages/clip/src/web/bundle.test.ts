// The build check of the browser build: bundle `./web` and its worker for the browser (esbuild,
// onnxruntime-web included) and fail on any Node-only module in the graph (sharp, onnxruntime-node,
// fs, worker_threads, any node: builtin); the bundle sizes are logged (README "Browser build").
import { resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

const pkg = resolve(__dirname, '../..');
const NODE_ONLY =
  /(^|[\\/])node_modules[\\/](sharp|onnxruntime-node|@img|@ffmpeg-installer)[\\/]|^node:|^(fs|path|os|worker_threads|child_process|stream|crypto)(\/|$)/;

/** Inputs of a browser bundle of `entry`; Node builtins are recorded, not resolved. */
async function bundle(entry: string): Promise<{ inputs: string[]; bytes: number; builtins: string[] }> {
  const builtins: string[] = [];
  const result = await build({
    entryPoints: [resolve(pkg, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    metafile: true,
    conditions: ['@pmoves/source'],
    logLevel: 'silent',
    plugins: [
      {
        name: 'record-builtins',
        setup(b) {
          b.onResolve(
            { filter: /^(node:|fs$|path$|os$|worker_threads$|child_process$|stream|crypto$)/ },
            (args) => {
              builtins.push(`${args.path} (from ${args.importer})`);
              return { path: args.path, external: true };
            },
          );
        },
      },
    ],
  });
  const meta = result.metafile as Metafile;
  return {
    inputs: Object.keys(meta.inputs),
    bytes: result.outputFiles.reduce((n, f) => n + f.contents.length, 0),
    builtins,
  };
}

describe('the browser build', () => {
  it.each(['src/web/index.ts', 'src/web/worker.ts'])('%s pulls in no Node-only module', async (entry) => {
    const { inputs, bytes, builtins } = await bundle(entry);
    expect(builtins).toEqual([]);
    expect(inputs.filter((i) => NODE_ONLY.test(i))).toEqual([]);
    // The shared sources are in it: the Pillow resampler and the tokenizer core.
    if (entry.endsWith('worker.ts')) {
      expect(inputs.some((i) => i.endsWith('preprocess/pillow-resample.ts'))).toBe(true);
      expect(inputs.some((i) => i.endsWith('tokenizer/core.ts'))).toBe(true);
    }
    console.log(`${entry}: ${(bytes / 1024).toFixed(1)} KiB minified, ${inputs.length} modules`);
  });

  it('the check sees a Node module when one is imported', async () => {
    const { builtins, inputs } = await bundle('src/preprocess/index.ts');
    expect([...builtins, ...inputs.filter((i) => NODE_ONLY.test(i))].length).toBeGreaterThan(0);
  });
});
