import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir, synth, tone, watchCliDefaults } from '../../test/helpers/fixtures';
import { OLLAMA_AUDIO_MODEL, fakeOllama, replyJson } from '../../test/helpers/http';
import type { TestServer } from '../../test/helpers/http';

let dir: string;
let cleanup: () => Promise<void>;
let files: string[];
let server: TestServer;
let onFirstChat: () => void = () => undefined;
const defaults = watchCliDefaults();

beforeAll(async () => {
  ({ dir, cleanup } = await makeTmpDir());
  files = await Promise.all([1, 2, 3].map((i) => synth(join(dir, `f${i}.wav`), tone(200 * i, 1))));
  server = await fakeOllama({
    models: { [OLLAMA_AUDIO_MODEL]: ['completion', 'audio'] },
    chat: (n) => {
      if (n === 0) onFirstChat();
      return { content: replyJson(), delayMs: 600 };
    },
  });
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
  expect(defaults.created(), 'the bin wrote its default paths outside a temporary directory').toEqual([]);
});

function runBin(
  args: string[],
  onChild: (kill: () => void) => void = () => undefined,
  env: NodeJS.ProcessEnv = {
    ...process.env,
    QWEN_AUDIO_URL: server.url,
    QWEN_MODEL_NAME: OLLAMA_AUDIO_MODEL,
    JELLYFIN_AUDIO_QWEN_ENABLE: 'true',
    QWEN_AUDIO_PGLITE_DIR: join(dir, 'default-pglite'),
  },
) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'cli.ts'), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  onChild(() => child.kill('SIGINT'));
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out, err })),
  );
}

describe('pmoves-qwen-audio bin', () => {
  it('answers --help and --version without doing anything else', async () => {
    // No model server, an unreachable database and a misspelt toggle: usage and version need none of it.
    const requestsBefore = server.requests.length;
    const bare = {
      PATH: process.env.PATH,
      QWEN_AUDIO_URL: 'http://127.0.0.1:9',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none',
      QWEN_AUDIO_STORE: 'postgres',
      JELLYFIN_AUDIO_QWEN_ENABLE: 'ture',
    };
    for (const args of [['--help'], ['-h'], ['backfill', '--help'], ['--version'], ['-V']]) {
      const r = await runBin(args, undefined, bare);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
      expect(r.err).toBe('');
    }
    expect(server.requests.length).toBe(requestsBefore);
    const help = await runBin(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Usage: pmoves-qwen-audio/);
    expect(help.out).toMatch(/backfill/);
    const sub = await runBin(['backfill', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.out).toMatch(/--dry-run/);
    const version = await runBin(['--version']);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(await readFile(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    expect(version.out.trim()).toBe(pkg.version);
  }, 180_000);

  // Resuming is covered in-process in cli.test.ts; this checks the real signal wiring of the bin.
  it('on SIGINT finishes the in-flight item, saves progress and exits 130', async () => {
    const state = join(dir, 'state.json');
    const args = ['backfill', ...files, '--state', state, '--pglite-dir', join(dir, 'db')];
    const first = await runBin(args, (kill) => (onFirstChat = kill));
    expect(first.err).toMatch(/stopping: finishing in-flight items/);
    expect(first.out).toMatch(
      /processed 1, skipped 0, failed 0 \(interrupted; progress saved, rerun to resume\)/,
    );
    expect(first.code).toBe(130);
    const saved = JSON.parse(await readFile(state, 'utf8'));
    expect(Object.values(saved.stores)).toEqual([{ done: [files[0]], failed: [] }]);
  }, 180_000);
});
