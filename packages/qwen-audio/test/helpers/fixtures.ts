// Audio fixtures synthesised at test time with the same bundled ffmpeg the package uses.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { resolveFfmpegPath } from '../../src/audio/ffmpeg';

const run = promisify(execFile);

export async function makeTmpDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'qwen-audio-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** What the backfill CLI writes in its working directory when no flag or variable says otherwise. */
export const CLI_DEFAULT_PATHS = ['.pmoves-qwen-audio-db', '.pmoves-qwen-audio-state.json'] as const;

/** The package directory (tests may run with it as their working directory). */
export const PACKAGE_DIR = resolve(__dirname, '..', '..');

/**
 * Notes which of the CLI's default paths exist now in the working directory and the package directory;
 * `created()` lists those that appeared since, so a test file can fail when one of its runs wrote
 * into the repository instead of a temporary directory.
 */
export function watchCliDefaults(): { created(): string[] } {
  const paths = [...new Set([process.cwd(), PACKAGE_DIR])].flatMap((d) =>
    CLI_DEFAULT_PATHS.map((p) => join(d, p)),
  );
  const before = new Set(paths.filter((p) => existsSync(p)));
  return { created: () => paths.filter((p) => !before.has(p) && existsSync(p)) };
}

/** Runs the bundled ffmpeg with a lavfi source; `out` decides the container/codec by extension or extra args. */
export async function synth(out: string, lavfi: string, extra: string[] = []): Promise<string> {
  const ffmpeg = await resolveFfmpegPath();
  await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', lavfi, ...extra, out]);
  return out;
}

export const tone = (freq: number, seconds: number, rate = 44100) =>
  `sine=frequency=${freq}:duration=${seconds}:sample_rate=${rate}`;

/** Whether a system command exists (espeak-ng is installed by scripts/test.sh). */
export async function hasCommand(cmd: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

export async function espeak(out: string, text: string): Promise<string> {
  await run('espeak-ng', ['-w', out, text]);
  return out;
}
