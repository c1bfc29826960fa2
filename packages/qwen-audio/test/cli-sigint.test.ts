import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QWEN_MODEL } from '../src/config/env.js';
import { makeTmpDir, synth, tone } from './helpers/fixtures.js';
import { fakeOllama, replyJson } from './helpers/http.js';
import type { TestServer } from './helpers/http.js';

let dir: string;
let cleanup: () => Promise<void>;
let files: string[];
let server: TestServer;
let onFirstChat: () => void = () => undefined;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTmpDir());
  files = await Promise.all([1, 2, 3].map((i) => synth(join(dir, `f${i}.wav`), tone(200 * i, 1))));
  server = await fakeOllama({
    models: { [DEFAULT_QWEN_MODEL]: ['completion', 'audio'] },
    chat: (n) => {
      if (n === 0) onFirstChat();
      return { content: replyJson(), delayMs: 600 };
    },
  });
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

function runBin(args: string[], onChild: (kill: () => void) => void = () => undefined) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '..', 'src', 'cli.ts'), ...args],
    {
      env: { ...process.env, QWEN_AUDIO_URL: server.url, JELLYFIN_AUDIO_QWEN_ENABLE: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
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
    expect(JSON.parse(await readFile(state, 'utf8')).done).toEqual([files[0]]);
  }, 60_000);
});
