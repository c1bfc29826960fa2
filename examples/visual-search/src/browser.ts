// Building the visual-search page and driving it in headless Chromium (playwright-core on the
// system's Chromium, never a downloaded browser): shared by the end-to-end test and the benchmark.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { build } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The page's directory. */
export const PAGE_DIR = resolve(here, '..');
/** Gitignored output of the end-to-end test (the screenshot). */
export const ARTIFACTS = join(PAGE_DIR, '.artifacts');

/** The flags the test launches Chromium with (no GPU, no background traffic). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** The Chromium binary: PMOVES_CHROMIUM, else Debian's /usr/bin/chromium. */
export function chromiumPath(): string {
  const path = process.env.PMOVES_CHROMIUM ?? '/usr/bin/chromium';
  try {
    statSync(path);
  } catch {
    throw new Error(
      `no Chromium at ${path}: install Debian's chromium (apt-get install chromium; scripts/test.sh does) ` +
        'or set PMOVES_CHROMIUM to a Chromium binary',
    );
  }
  return path;
}

/** Build the page with Vite into `outDir`; returns each output file's size in bytes. */
export async function buildPage(outDir: string): Promise<Record<string, number>> {
  await build({
    configFile: join(PAGE_DIR, 'vite.config.ts'),
    root: PAGE_DIR,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  const sizes: Record<string, number> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else sizes[relative(outDir, p)] = statSync(p).size;
    }
  };
  walk(outDir);
  return sizes;
}

/** A fresh Chromium profile and context; close() removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'pmoves-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1100, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A scratch directory for one build. */
export function scratchDir(name: string): string {
  const dir = join(PAGE_DIR, '..', '.tmp', `${name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
