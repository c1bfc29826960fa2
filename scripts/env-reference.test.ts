// Issue #18 item 2: the environment reference is checked. Every variable of every `*_ENV_VARS` list a workspace
// exports must be in a table of docs/LOCAL_TOOLING_REFERENCE.md (one both clip and rerank read may be documented
// once, in clip's section), and the section of a workspace that exports lists may name no variable those lists
// lack. Lists are found automatically: each workspace's entries (`.` and
// every subpath export) and every source module of the workspace that declares an `…_ENV_VARS` export (e.g.
// `examples/env-vars.ts`) are imported, so a package (or `examples/`) that adds a list is checked without touching
// this file.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOC = 'docs/LOCAL_TOOLING_REFERENCE.md';

interface Workspace {
  dir: string;
  name: string;
  /** Variable name → the list(s) that name it (`CLIP_ENV_VARS`…). */
  vars: Map<string, string[]>;
  /** Modules imported, relative to the root. */
  modules: string[];
  /** Problems found while collecting (a list in a module that cannot be imported safely…). */
  problems: string[];
}

interface PackageJson {
  name: string;
  workspaces?: string[];
  exports?: Record<string, unknown>;
  bin?: string | Record<string, string>;
}
const readJson = (path: string): PackageJson => JSON.parse(readFileSync(path, 'utf8')) as PackageJson;

/** Folders that hold no source a list could live in (builds, dependencies, generated models, benchmarks). */
const SKIP_DIRS = new Set(['node_modules', 'dist', 'coverage', '.models', '.bench', '.cache', '.tmp']);

/** Every TypeScript source module under `dir`, tests, declarations and tool configs excepted. */
function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(entry)) out.push(...sourceFiles(path));
    } else if (/\.[cm]?ts$/.test(entry) && !/\.(test|d)\.[cm]?ts$|\.config\.[cm]?ts$/.test(entry))
      out.push(path);
  }
  return out;
}

/** The source file of each export entry, through the `@pmoves/source` condition. */
function entrySources(dir: string, pkg: PackageJson): string[] {
  const out: string[] = [];
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    if (key === './package.json' || typeof target !== 'object' || target === null) continue;
    const source = (target as Record<string, unknown>)['@pmoves/source'];
    if (typeof source === 'string') out.push(join(dir, source));
  }
  return out;
}

/** Base names (without extension) of the bins: their modules run on import and are never imported here. */
function binNames(pkg: PackageJson): Set<string> {
  const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
  return new Set(bins.map((b) => basename(b).replace(/\.[cm]?js$/, '')));
}

const DECLARES_LIST = /^export\s+const\s+([A-Z][A-Z0-9_]*_ENV_VARS)\b/m;

async function collect(): Promise<Workspace[]> {
  const rootPkg = readJson(join(root, 'package.json'));
  const workspaces: Workspace[] = [];
  for (const wsDir of rootPkg.workspaces ?? []) {
    const dir = join(root, wsDir);
    const pkg = readJson(join(dir, 'package.json'));
    const ws: Workspace = { dir: wsDir, name: pkg.name, vars: new Map(), modules: [], problems: [] };
    const bins = binNames(pkg);
    const candidates = new Set(entrySources(dir, pkg));
    for (const file of sourceFiles(dir)) {
      const text = readFileSync(file, 'utf8');
      const declared = DECLARES_LIST.exec(text);
      if (!declared) continue;
      const stem = basename(file).replace(/\.[cm]?ts$/, '');
      if (text.startsWith('#!') || bins.has(stem)) {
        ws.problems.push(
          `${relative(root, file)} declares ${declared[1]} but is a bin (it runs on import); move the list to a module without side effects`,
        );
        continue;
      }
      candidates.add(file);
    }
    for (const file of candidates) {
      ws.modules.push(relative(root, file));
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      for (const [exportName, value] of Object.entries(mod)) {
        if (!exportName.endsWith('_ENV_VARS')) continue;
        if (!Array.isArray(value) || value.length === 0) {
          ws.problems.push(`${relative(root, file)}: ${exportName} is not a non-empty list`);
          continue;
        }
        for (const item of value as { name?: unknown }[]) {
          if (typeof item?.name !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(item.name)) {
            ws.problems.push(`${relative(root, file)}: ${exportName} has an entry without a variable name`);
            continue;
          }
          const lists = ws.vars.get(item.name) ?? [];
          if (!lists.includes(exportName)) lists.push(exportName);
          ws.vars.set(item.name, lists);
        }
      }
    }
    workspaces.push(ws);
  }
  return workspaces;
}

interface Section {
  heading: string;
  /** Variables named in the first column of the section's tables. */
  vars: Set<string>;
}

/** `### ` sections of the reference, with the variables named in the first column of their tables. */
function sections(markdown: string): Section[] {
  const out: Section[] = [];
  let current: Section | undefined;
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    if (inFence) continue;
    if (/^#{1,3} /.test(line)) {
      current = /^### /.test(line) ? { heading: line.replace(/^### /, ''), vars: new Set() } : undefined;
      if (current) out.push(current);
      continue;
    }
    if (!current || !/^\s*\|/.test(line) || /^\s*\|\s*:?-+/.test(line)) continue;
    const first = line.split('|')[1] ?? '';
    for (const m of first.matchAll(/`([^`]+)`/g)) {
      const token = (m[1] as string).trim();
      if (/^[A-Z][A-Z0-9_]*$/.test(token)) current.vars.add(token);
    }
  }
  return out;
}

/** The section of a workspace: its heading names the package (`` `@pmoves/clip` ``) or its folder (`` `examples/` ``). */
const sectionOf = (all: Section[], ws: Workspace) =>
  all.find((s) => s.heading.includes(`\`${ws.name}\``) || s.heading.includes(`\`${ws.dir}/\``));

describe(`${DOC} against the *_ENV_VARS lists`, async () => {
  const workspaces = await collect();
  const doc = sections(readFileSync(join(root, DOC), 'utf8'));
  const withLists = workspaces.filter((ws) => ws.vars.size > 0);

  it('finds the lists (the check never passes vacuously)', () => {
    expect(withLists.map((ws) => ws.name)).toEqual(
      expect.arrayContaining(['@pmoves/publisher-meta', '@pmoves/rerank', '@pmoves/examples']),
    );
    expect(workspaces.flatMap((ws) => ws.problems)).toEqual([]);
  });

  it('the document has every variable of every list (a variable two packages read may be documented once)', () => {
    const documented = new Set(doc.flatMap((section) => [...section.vars]));
    const missing: string[] = [];
    for (const ws of withLists) {
      if (!sectionOf(doc, ws))
        missing.push(`${ws.name}: no section whose heading names \`${ws.name}\` or \`${ws.dir}/\``);
      for (const [name, lists] of ws.vars) {
        if (!documented.has(name)) missing.push(`${ws.name}: ${name} (${lists.join(', ')}) is not in ${DOC}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('a package section names no variable its lists lack', () => {
    const extra: string[] = [];
    for (const ws of withLists) {
      const section = sectionOf(doc, ws);
      if (!section) continue;
      for (const name of section.vars) {
        if (!ws.vars.has(name))
          extra.push(
            `${ws.name}: "${section.heading}" names ${name}, which no *_ENV_VARS list of ${ws.name} has`,
          );
      }
    }
    expect(extra).toEqual([]);
  });
});

describe('the section parser', () => {
  it('reads the first column of tables only, every backticked NAME in it, per ### section', () => {
    const parsed = sections(
      [
        '## Environment variables',
        '### `@pmoves/x` ([README](x))',
        '| variable | default | meaning |',
        '| --- | --- | --- |',
        '| `X_ONE` (legacy `X_OLD`) | `FOO_DEFAULT` | uses `NOT_A_ROW` |',
        '| `X_TWO`, `X_THREE` | — | |',
        'Prose naming `X_PROSE` is not a row.',
        '```',
        '| `X_FENCED` | | |',
        '```',
        '### `examples/`',
        '| `E_ONE` | | |',
        '## System tools',
        '| `NOT_IN_A_SECTION` | | |',
      ].join('\n'),
    );
    expect(parsed.map((s) => [s.heading, [...s.vars]])).toEqual([
      ['`@pmoves/x` ([README](x))', ['X_ONE', 'X_OLD', 'X_TWO', 'X_THREE']],
      ['`examples/`', ['E_ONE']],
    ]);
  });
});
