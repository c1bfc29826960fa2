// Tests on the built output (tsup, both formats, into a scratch directory inside the package so
// its dependencies resolve): one ClipError class shared by `.`, `./fetch`, `./config` and `./server` in ESM
// and in CJS, and `./fetch` / `./config` / `./server` load neither onnxruntime nor sharp.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import config from '../tsup.config';

const run = promisify(execFile);
const pkg = resolve(__dirname, '..');
const dist = resolve(pkg, '.tmp', `dist-test-${process.pid}`);
const check = resolve(pkg, 'test', 'entries-check.mjs');

beforeAll(async () => {
  const options = (Array.isArray(config) ? config[0]! : config) as { entry: Record<string, string> };
  // Paths from the package, whatever directory the test run started in.
  const entry = Object.fromEntries(Object.entries(options.entry).map(([k, v]) => [k, resolve(pkg, v)]));
  await build({
    ...options,
    entry,
    tsconfig: resolve(pkg, 'tsconfig.json'),
    // tsup leaves the dependencies of the package.json in the working directory external; name
    // this package's, since the run may start at the repository root.
    external: Object.keys(
      (JSON.parse(readFileSync(resolve(pkg, 'package.json'), 'utf8')) as { dependencies: object })
        .dependencies,
    ),
    outDir: dist,
    dts: false,
    sourcemap: false,
    silent: true,
  });
}, 180_000);
afterAll(() => rmSync(dist, { recursive: true, force: true }));

async function entries(format: 'esm' | 'cjs', block = false) {
  const { stdout } = await run(process.execPath, [check, dist, format, ...(block ? ['block'] : [])], {
    cwd: pkg,
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim()) as { sameClass: boolean; instanceofAcross: boolean; issues: unknown[] };
}

describe('built entries', () => {
  for (const format of ['esm', 'cjs'] as const) {
    it(`${format}: ., ./fetch, ./config and ./server share one ClipError class (with issues)`, async () => {
      const r = await entries(format);
      expect(r.sameClass).toBe(true);
      expect(r.instanceofAcross).toBe(true);
      expect(r.issues).toEqual([{ variable: 'A', message: 'm' }]);
    });

    it(`${format}: ./fetch, ./config and ./server load without onnxruntime or sharp`, async () => {
      const r = await entries(format, true);
      expect(r.sameClass).toBe(true);
    });
  }
});
