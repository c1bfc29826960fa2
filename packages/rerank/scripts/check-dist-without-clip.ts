// The built package works for a project that does not have the optional peer @pmoves/clip:
// its .d.ts type-check with skipLibCheck off (node16 from ESM and from CJS, and bundler
// resolution), and its ESM and CJS builds load and run a chain without clip. Run after tsup (the
// package's `build` script does): `node --import tsx scripts/check-dist-without-clip.ts`.
//
// The project is made in a temporary directory outside the workspace, so no node_modules above
// it can provide @pmoves/clip; a control checks that resolving @pmoves/clip from there fails.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(pkgDir, 'package.json'));
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
  name: string;
  dependencies: Record<string, string>;
};
const tsc = require.resolve('typescript/bin/tsc');

/** A dependency's directory, found from this package as Node would (some hide their package.json). */
function depDir(name: string): string {
  const found = (require.resolve.paths(name) ?? [])
    .map((base) => join(base, name))
    .find((d) => existsSync(join(d, 'package.json')));
  if (!found) throw new Error(`${name} is not installed`);
  return found;
}

const failures: string[] = [];
function run(what: string, cmd: string, args: string[], cwd: string, expectFail = false): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  const out = `${r.stdout}${r.stderr}`;
  if ((r.status === 0) === expectFail) failures.push(`${what}: exit ${r.status}\n${out}`);
  else console.log(`ok   ${what}`);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'rerank-without-clip-'));
try {
  // The package as installed: its package.json and dist/, its runtime dependencies, @types/node.
  const installed = join(dir, 'node_modules', ...pkg.name.split('/'));
  mkdirSync(installed, { recursive: true });
  cpSync(join(pkgDir, 'package.json'), join(installed, 'package.json'));
  cpSync(join(pkgDir, 'dist'), join(installed, 'dist'), { recursive: true });
  for (const dep of [...Object.keys(pkg.dependencies), '@types/node']) {
    const target = join(dir, 'node_modules', ...dep.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(depDir(dep), target, 'dir');
  }
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );

  const use = `
    const reranker = await createRerankerFromEnv({ RERANK_PROVIDER: 'none' });
    const result: RerankResult = await reranker.rerank({ query: 'q', candidates: [{ id: 'a', text: 't' }] });
    const best: BestMatch | undefined = clipBestMatch(result);
    const provider: ClipRerankProvider = createClipProvider({ mediaRoots: ['/srv/media'] });
    console.log(result.provider, best, provider.id);
  `;
  const names = 'createRerankerFromEnv, clipBestMatch, createClipProvider';
  const types = 'type RerankResult, type BestMatch, type ClipRerankProvider';
  writeFileSync(join(dir, 'esm.mts'), `import { ${names}, ${types} } from '${pkg.name}';\n${use}`);
  writeFileSync(
    join(dir, 'cjs.cts'),
    `import { ${names}, ${types} } from '${pkg.name}';\nasync function main() {${use}}\nvoid main();`,
  );
  const tsconfig = (module: string, files: string[]) =>
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        module,
        moduleResolution: module === 'node16' ? 'node16' : 'bundler',
        types: ['node'],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      },
      files,
    });
  writeFileSync(join(dir, 'tsconfig.node16.json'), tsconfig('node16', ['esm.mts', 'cjs.cts']));
  writeFileSync(join(dir, 'tsconfig.bundler.json'), tsconfig('esnext', ['esm.mts']));

  run(
    'd.ts type-check (node16, ESM and CJS, skipLibCheck off)',
    process.execPath,
    [tsc, '-p', 'tsconfig.node16.json'],
    dir,
  );
  run(
    'd.ts type-check (bundler, skipLibCheck off)',
    process.execPath,
    [tsc, '-p', 'tsconfig.bundler.json'],
    dir,
  );
  const absent = "require.resolve('@pmoves/clip/package.json')";
  run('control: @pmoves/clip is absent', process.execPath, ['-e', absent], dir, true);

  // Runtime: both builds load and run a chain without clip; clip in the chain is a config error.
  const script = (load: string) => `
    const m = ${load};
    const r = await m.createRerankerFromEnv({ RERANK_PROVIDER: 'none' });
    const res = await r.rerank({ query: 'q', candidates: [{ id: 'a', text: 't' }] });
    if (res.provider !== 'none') throw new Error('unexpected provider ' + res.provider);
    const err = await m.createRerankerFromEnv({ RERANK_PROVIDER: 'clip' }).then(() => null, (e) => e);
    if (!m.isRerankError(err) || err.code !== 'config' || !/@pmoves\\/clip/.test(err.message))
      throw new Error('expected a config error naming @pmoves/clip, got ' + err);
    console.log(err.message);
  `;
  const esm = `(await import('${pkg.name}'))`;
  const cjs = `(await import('node:module')).createRequire(import.meta.url)('${pkg.name}')`;
  run(
    'ESM build runs without @pmoves/clip',
    process.execPath,
    ['--input-type=module', '-e', script(esm)],
    dir,
  );
  run(
    'CJS build runs without @pmoves/clip',
    process.execPath,
    ['--input-type=module', '-e', script(cjs)],
    dir,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (failures.length) {
  console.error(`\n${failures.join('\n\n')}`);
  process.exit(1);
}
