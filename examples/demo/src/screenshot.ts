// A screenshot of an HTML file with headless Chromium (CHROME_PATH, or the usual install paths),
// through its own --screenshot switch: no browser library, no network.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const USUAL = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** The Chromium to use: `CHROME_PATH`, else the first usual path that exists. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env.CHROME_PATH?.trim();
  if (configured) return existsSync(configured) ? configured : undefined;
  return USUAL.find((p) => existsSync(p));
}

/** Renders `htmlPath` to `pngPath` (`width`×`height` CSS pixels). */
export async function screenshot(
  chromium: string,
  htmlPath: string,
  pngPath: string,
  size = { width: 680, height: 900 },
): Promise<void> {
  const args = [
    '--headless',
    '--disable-gpu',
    '--hide-scrollbars',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--force-device-scale-factor=1',
    `--window-size=${size.width},${size.height}`,
    `--screenshot=${pngPath}`,
    pathToFileURL(htmlPath).toString(),
  ];
  // Chromium refuses to run as root without --no-sandbox (containers, CI).
  if (process.getuid?.() === 0) args.unshift('--no-sandbox');
  await run(chromium, args, { timeout: 30_000 });
}
