/**
 * Packaging test (issue #18 item 7): what a new user gets from the registry, tried from packed tarballs.
 *
 * 1. `npm pack` every published workspace (its `prepack` builds it), and check each tarball: LICENSE (the root's
 *    text), README, every `main`/`module`/`types`/`exports`/`bin` target, and every relative link of every shipped
 *    Markdown file pointing at a shipped file.
 * 2. Install all tarballs into a fresh project outside the workspace (`ONNXRUNTIME_NODE_INSTALL=skip`, as on a
 *    network that reaches only the npm registry), and `@pmoves/rerank` alone into a second one (its peer
 *    `@pmoves/clip` is optional).
 * 3. In each project: import every entry (`.` and each subpath export) from ESM and from CJS; run `tsc --noEmit`
 *    with `skipLibCheck: false` under `module`/`moduleResolution` `node16` (an `.mts` and a `.cts` file) and
 *    `bundler`; run every bin with `--help` and `--version`.
 *
 * Every failure is printed with what was run and its output; the exit status is 1 when anything failed.
 * Run: `npm run test:pack` (about 4 minutes on a 2-core machine, most of it the four builds). `PACK_TEST_KEEP=1`
 * keeps the temporary directory and prints where it is.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const failures: string[] = [];
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
const log = (msg: string) => console.log(`[pack-test ${elapsed()}] ${msg}`);

interface Run {
  ok: boolean;
  status: number | null;
  output: string;
}
/**
 * The environment of commands run in the fresh projects: ours without what `npm run` exports (`npm_config_*` from
 * the repository's `.npmrc`, `npm_package_*`…), so they see what a new user's shell has.
 */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

/** Runs a command (no shell), with a timeout, resolving to its status and combined output. */
function run(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs = 600_000,
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...(cwd.startsWith(work) ? cleanEnv : process.env), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      done({ ok: false, status: null, output: `${output}\n${String(err)}` });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      const note = timedOut ? `\n(killed after ${timeoutMs / 1000} s)` : '';
      done({ ok: status === 0 && !timedOut, status, output: output + note });
    });
  });
}

/** Runs `tasks` with at most `limit` at a time (the machine's cores: the builds and `tsc` are CPU-bound). */
async function inParallel<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  const limit = Math.max(1, Math.min(2, availableParallelism()));
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
const tail = (text: string, lines = 40) => text.trim().split('\n').slice(-lines).join('\n');
/** Records a failure: what failed, the command, and the end of its output. */
function fail(what: string, detail = ''): void {
  failures.push(detail ? `${what}\n${detail.replace(/^/gm, '    ')}` : what);
  console.log(`  FAIL ${what}`);
}

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  workspaces?: string[];
  main?: string;
  module?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as PackageJson;

const rootPkg = readJson(join(root, 'package.json'));
const packages = (rootPkg.workspaces ?? [])
  .map((dir) => ({ dir, pkg: readJson(join(root, dir, 'package.json')) }))
  .filter(({ pkg }) => !pkg.private);
/** A browser-only subpath (`@pmoves/clip/web`): no `import`/`require`/`node` condition, so Node never loads it. */
const browserOnly = (pkg: PackageJson, subpath: string): boolean => {
  const v = pkg.exports?.[subpath];
  return typeof v === 'object' && v !== null && !('import' in v) && !('require' in v) && !('node' in v);
};
const subpaths = (pkg: PackageJson) =>
  Object.keys(pkg.exports ?? { '.': {} }).filter(
    (k) => k !== './package.json' && !k.includes('*') && !browserOnly(pkg, k),
  );
const specifier = (pkg: PackageJson, subpath: string) =>
  subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`;
const bins = (pkg: PackageJson): Record<string, string> =>
  typeof pkg.bin === 'string' ? { [pkg.name.split('/').pop() as string]: pkg.bin } : (pkg.bin ?? {});

/** Every file path an `exports` value points at (conditions nested), except the `@pmoves/source` one. */
function exportTargets(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object')
    for (const [cond, v] of Object.entries(value)) if (cond !== '@pmoves/source') exportTargets(v, out);
  return out;
}

/** Relative link targets of a Markdown text, outside code spans and fences. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^\s*```[\s\S]*?^\s*```/gm, '').replace(/`[^`\n]*`/g, '');
  const links: string[] = [];
  for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1] as string;
    if (/^([a-z][a-z0-9+.-]*:|#|\/\/)/i.test(target)) continue;
    links.push(target.split('#')[0] as string);
  }
  return links.filter(Boolean);
}

const work = mkdtempSync(join(tmpdir(), 'pmoves-pack-test-'));
if (!relative(root, work).startsWith('..'))
  throw new Error(`temporary directory ${work} is inside the workspace`);
const tarballDir = join(work, 'tarballs');
mkdirSync(tarballDir);
const licenseText = readFileSync(join(root, 'LICENSE'), 'utf8');

// ---------------------------------------------------------------------------------------------------------------
// 1. Pack and inspect.
// ---------------------------------------------------------------------------------------------------------------
const tarballs = new Map<string, string>();
await inParallel(packages, async ({ dir, pkg }) => {
  log(`npm pack ${pkg.name} (prepack builds it)`);
  const packed = await run('npm', ['pack', '--json', '--pack-destination', tarballDir, '-w', pkg.name], root);
  // The prepack build logs to the same streams, coloured when CI is set (picocolors), so the first `[`
  // may be an escape code: npm's JSON is the array that opens and closes at the start of a line.
  const json = /^\[\s*$[\s\S]*?^\]\s*$/m.exec(packed.output)?.[0] ?? '';
  let info: { filename: string; files: { path: string }[] }[] = [];
  try {
    info = JSON.parse(json);
  } catch {
    // reported below
  }
  const entry = info[0];
  if (!packed.ok || !entry) {
    fail(`${pkg.name}: npm pack failed (exit ${packed.status})`, tail(packed.output));
    return;
  }
  const tarball = join(tarballDir, entry.filename.replace(/^@/, '').replace(/\//, '-'));
  tarballs.set(pkg.name, existsSync(tarball) ? tarball : join(tarballDir, entry.filename));
  const files = new Set(entry.files.map((f) => posix.normalize(f.path)));
  const extract = join(work, 'extract', pkg.name);
  mkdirSync(extract, { recursive: true });
  const untar = await run('tar', ['-xzf', tarballs.get(pkg.name) as string, '-C', extract], work);
  if (!untar.ok) fail(`${pkg.name}: cannot extract ${entry.filename}`, tail(untar.output));
  const shipped = (path: string) => files.has(posix.normalize(path.replace(/^\.\//, '')));

  if (!shipped('LICENSE')) fail(`${pkg.name}: the tarball has no LICENSE`);
  else if (readFileSync(join(extract, 'package', 'LICENSE'), 'utf8') !== licenseText)
    fail(`${pkg.name}: its LICENSE differs from the repository's`);
  if (!shipped('README.md')) fail(`${pkg.name}: the tarball has no README.md`);
  const targets = [
    pkg.main,
    pkg.module,
    pkg.types,
    ...Object.values(bins(pkg)),
    ...exportTargets(pkg.exports),
  ];
  for (const target of targets) {
    if (target && !target.endsWith('package.json') && !shipped(target))
      fail(`${pkg.name}: ${target} (named in package.json) is not in the tarball — was it built?`);
  }
  for (const md of [...files].filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(extract, 'package', md), 'utf8');
    for (const link of relativeLinks(text)) {
      const target = posix.normalize(posix.join(posix.dirname(md), decodeURI(link)));
      if (!shipped(target) && ![...files].some((f) => f.startsWith(`${target.replace(/\/$/, '')}/`)))
        fail(
          `${pkg.name}: ${md} links to ${link}, which the tarball does not ship (${dir}/package.json "files")`,
        );
    }
  }
  log(`${pkg.name}: packed ${entry.filename}`);
});

// ---------------------------------------------------------------------------------------------------------------
// 2–3. Fresh projects: install, import, type-check, run the bins.
// ---------------------------------------------------------------------------------------------------------------
const typesNode = readJson(join(root, 'node_modules/@types/node/package.json')).version;
const tsc = join(root, 'node_modules/typescript/bin/tsc');

async function tryProject(label: string, names: string[]): Promise<void> {
  const chosen = packages.filter(({ pkg }) => names.includes(pkg.name));
  const missing = chosen.filter(({ pkg }) => !tarballs.has(pkg.name));
  if (missing.length > 0) {
    fail(`${label}: skipped, no tarball for ${missing.map((m) => m.pkg.name).join(', ')}`);
    return;
  }
  const dir = join(work, label);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `pack-test-${label}`, private: true, type: 'module' }, null, 2),
  );
  log(`${label}: npm install ${names.join(' ')} (ONNXRUNTIME_NODE_INSTALL=skip)`);
  const install = await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      ...chosen.map(({ pkg }) => tarballs.get(pkg.name) as string),
      `@types/node@${typesNode}`,
    ],
    dir,
    600_000,
    { ONNXRUNTIME_NODE_INSTALL: 'skip' },
  );
  if (!install.ok) {
    fail(`${label}: npm install failed (exit ${install.status})`, tail(install.output));
    return;
  }
  // An optional peer that is not asked for must not be there, or "installs alone" would prove nothing
  // (unless another chosen package depends on it outright, as qwen-audio does on pg).
  const required = new Set(chosen.flatMap(({ pkg }) => Object.keys(pkg.dependencies ?? {})));
  for (const { pkg } of chosen)
    for (const peer of Object.keys(pkg.peerDependencies ?? {}))
      if (!names.includes(peer) && !required.has(peer) && existsSync(join(dir, 'node_modules', peer)))
        fail(`${label}: ${peer} was installed although only ${names.join(', ')} was asked for`);

  const specs = chosen.flatMap(({ pkg }) => subpaths(pkg).map((s) => specifier(pkg, s)));
  log(`${label}: import ${specs.join(', ')} from ESM and CJS`);
  for (const spec of specs) {
    const check = `if (Object.keys(m).length === 0) throw new Error('no exports');`;
    const esm = await run(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(spec)}); ${check}`],
      dir,
      120_000,
    );
    if (!esm.ok) fail(`${label}: import(${JSON.stringify(spec)}) from ESM failed`, tail(esm.output, 15));
    const cjs = await run(
      process.execPath,
      ['--input-type=commonjs', '-e', `const m = require(${JSON.stringify(spec)}); ${check}`],
      dir,
      120_000,
    );
    if (!cjs.ok) fail(`${label}: require(${JSON.stringify(spec)}) from CJS failed`, tail(cjs.output, 15));
  }

  // Type-check the published .d.ts files as a strict consumer does, library checks on.
  const esmImports = specs.map((s, i) => `import * as m${i} from ${JSON.stringify(s)};`).join('\n');
  const uses = `export const all: unknown[] = [${specs.map((_, i) => `m${i}`).join(', ')}];\n`;
  writeFileSync(join(dir, 'esm.mts'), `${esmImports}\n${uses}`);
  writeFileSync(join(dir, 'bundler.ts'), `${esmImports}\n${uses}`);
  writeFileSync(
    join(dir, 'cjs.cts'),
    `${specs.map((s, i) => `import m${i} = require(${JSON.stringify(s)});`).join('\n')}\n` +
      `export const all: unknown[] = [${specs.map((_, i) => `m${i}`).join(', ')}];\n`,
  );
  const common = {
    target: 'ES2022',
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
    esModuleInterop: true,
  };
  const configs: [string, Record<string, unknown>, string[]][] = [
    ['node16', { ...common, module: 'node16', moduleResolution: 'node16' }, ['esm.mts', 'cjs.cts']],
    ['bundler', { ...common, module: 'esnext', moduleResolution: 'bundler' }, ['bundler.ts']],
  ];
  await inParallel(configs, async ([name, compilerOptions, files]) => {
    writeFileSync(join(dir, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files }, null, 2));
    log(`${label}: tsc --noEmit, skipLibCheck false, ${name} resolution`);
    const check = await run(
      process.execPath,
      [tsc, '-p', `tsconfig.${name}.json`, '--pretty', 'false'],
      dir,
      300_000,
    );
    if (!check.ok) fail(`${label}: tsc (${name}, skipLibCheck: false) failed`, tail(check.output, 30));
  });

  for (const { pkg } of chosen) {
    for (const bin of Object.keys(bins(pkg))) {
      const path = join(dir, 'node_modules', '.bin', bin);
      if (!existsSync(path)) {
        fail(`${label}: bin ${bin} of ${pkg.name} is not installed in node_modules/.bin`);
        continue;
      }
      log(`${label}: ${bin} --help, ${bin} --version`);
      // A bin that ignores --help would start its work (a server): the timeout catches it.
      const help = await run(path, ['--help'], dir, 30_000);
      if (!help.ok)
        fail(`${label}: \`${bin} --help\` exited ${help.status ?? 'by timeout'}`, tail(help.output, 15));
      else if (!/usage/i.test(help.output))
        fail(`${label}: \`${bin} --help\` printed no usage`, tail(help.output, 15));
      const version = await run(path, ['--version'], dir, 30_000);
      if (!version.ok)
        fail(
          `${label}: \`${bin} --version\` exited ${version.status ?? 'by timeout'}`,
          tail(version.output, 15),
        );
      else if (!version.output.includes(pkg.version))
        fail(`${label}: \`${bin} --version\` does not print ${pkg.version}`, tail(version.output, 5));
    }
  }
}

// Two projects: everything together, and @pmoves/rerank alone (without its optional peer @pmoves/clip).
const projects: [string, string[]][] = [['all', packages.map(({ pkg }) => pkg.name)]];
if (packages.some(({ pkg }) => pkg.name === '@pmoves/rerank'))
  projects.push(['rerank-alone', ['@pmoves/rerank']]);
await inParallel(projects, ([label, names]) => tryProject(label, names));

console.log('');
if (process.env.PACK_TEST_KEEP === '1') log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
if (failures.length > 0) {
  console.log(`pack-test: ${failures.length} failure(s) in ${elapsed()}:\n`);
  for (const f of failures) console.log(`- ${f}\n`);
  process.exitCode = 1;
} else {
  log(
    `all ${packages.length} packages pack, install, import (ESM, CJS), type-check (node16, bundler) and run`,
  );
}
