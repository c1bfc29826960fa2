// @pmoves/rerank must not pull in @pmoves/clip (and with it onnxruntime) until the CLIP provider runs.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const entry = resolve(__dirname, 'index.ts');

function loadedModules(script: string): string[] {
  const out = spawnSync(
    process.execPath,
    ['--conditions=@pmoves/source', '--import', 'tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      timeout: 25_000,
    },
  );
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as string[];
}

describe('on-demand loading of @pmoves/clip', () => {
  it('importing the package and creating a CLIP provider from the environment loads neither onnxruntime nor sharp', () => {
    // onnxruntime-node and sharp are CommonJS, so once imported they show up in require.cache.
    // Configuring the chain loads only @pmoves/clip/fetch (clip's fetch options parser).
    const mods = loadedModules(`
      import { createRequire } from 'node:module';
      const m = await import(${JSON.stringify(entry)});
      await m.createRerankerFromEnv({ RERANK_PROVIDER: 'clip', CLIP_MODEL_PATH: '/nonexistent' });
      m.createClipProvider({ modelPath: '/nonexistent' });
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
    `);
    expect(mods.filter((p) => /onnxruntime|sharp/.test(p))).toEqual([]);
  }, 30_000);

  it('the check above sees @pmoves/clip when it is loaded', () => {
    const mods = loadedModules(`
      import { createRequire } from 'node:module';
      await import('@pmoves/clip');
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
    `);
    expect(mods.some((p) => /onnxruntime|sharp/.test(p))).toBe(true);
  }, 30_000);
});
