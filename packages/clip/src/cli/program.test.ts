// The `pmoves-clip` CLI: in-process through runClipCli (every command, on the generated tiny model;
// its vectors are test values, not a trained CLIP's) and as real processes for the bins' --help,
// --version and a port in use.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/cli-io';
import { IMAGE_FIXTURES, LAYOUT_DIR } from '../../test/models';
import { createClipEmbedder, type LocalClipEmbedder } from '../embedder/embedder';
import { CLIP_CLI_COMMANDS, runClipCli } from './main';
import type { CliRegistrar } from './types';
import { clipVersion } from './version';

const MODEL_ENV = { CLIP_MODEL_PATH: LAYOUT_DIR.split, CLIP_DTYPE: 'fp32', CLIP_DEVICE: 'cpu' };

const io = (env: Record<string, string> = {}, stop = new AbortController().signal) =>
  captureIo(env, { stop });

/** Runs a bin under tsx and collects its output. */
function runBin(script: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, script), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => res({ code, stdout, stderr }));
  });
}

let dir: string;
let local: LocalClipEmbedder;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pmoves-clip-cli-'));
  await mkdir(join(dir, 'photos', 'nested'), { recursive: true });
  await copyFile(join(IMAGE_FIXTURES, 'chelsea.jpg'), join(dir, 'photos', 'a.jpg'));
  await copyFile(join(IMAGE_FIXTURES, 'coffee.png'), join(dir, 'photos', 'nested', 'b.PNG'));
  await copyFile(join(IMAGE_FIXTURES, 'not-an-image.jpg'), join(dir, 'photos', 'c.jpg'));
  await writeFile(join(dir, 'photos', 'notes.txt'), 'not picked up');
  local = await createClipEmbedder({ modelPath: LAYOUT_DIR.split, dtype: 'fp32', device: 'cpu' });
});
afterAll(async () => {
  await local?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('help and version', () => {
  it('--help lists every command; serve --help starts nothing', async () => {
    const x = io();
    expect(await runClipCli(['--help'], x)).toBe(0);
    const help = x.outLines.join('\n');
    for (const c of ['serve', 'embed', 'info', 'pull', 'quantize', 'index'])
      expect(help).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    const s = io(MODEL_ENV);
    expect(await runClipCli(['serve', '--help'], s)).toBe(0);
    expect(s.outLines.join('\n')).toMatch(/--port <n>/);
    expect(s.errLines.join('\n')).not.toMatch(/listening/);
  });

  it('--version prints the package version; no command or an unknown one is a usage error (2)', async () => {
    const x = io();
    expect(await runClipCli(['--version'], x)).toBe(0);
    expect(x.outLines).toEqual([clipVersion()]);
    expect(clipVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(await runClipCli([], io())).toBe(2);
    const u = io();
    expect(await runClipCli(['frobnicate'], u)).toBe(2);
    expect(u.errLines.join('\n')).toMatch(/unknown command/);
  });

  it.each([
    ['pmoves-clip', '../cli/bin.ts', ['--help'], /Usage: pmoves-clip \[options\] \[command\]/],
    ['pmoves-clip', '../cli/bin.ts', ['--version'], /^\d+\.\d+\.\d+/],
    ['pmoves-clip-server', '../server/cli.ts', ['--help'], /Usage: pmoves-clip serve/],
    ['pmoves-clip-server', '../server/cli.ts', ['--version'], /^\d+\.\d+\.\d+/],
  ])('%s %s answers without starting a server', async (_bin, script, args, pattern) => {
    // A port that would be in use by nothing: if --help started a server it would say so.
    const r = await runBin(script, args as string[], { PORT: '0', ...MODEL_ENV });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(pattern as RegExp);
    expect(r.stderr).not.toMatch(/listening/);
  });
});

describe('registrars', () => {
  it('another module adds a subcommand with one registrar', async () => {
    const registerHello: CliRegistrar = (program, ctx) => {
      program
        .command('hello')
        .description('say hello')
        .argument('<name>')
        .action((name: string) => {
          ctx.io.out(`hello ${name}`);
          ctx.setExitCode(3);
        });
    };
    const x = io();
    expect(await runClipCli(['hello', 'clip'], x, [...CLIP_CLI_COMMANDS, registerHello])).toBe(3);
    expect(x.outLines).toEqual(['hello clip']);
    const h = io();
    await runClipCli(['--help'], h, [...CLIP_CLI_COMMANDS, registerHello]);
    expect(h.outLines.join('\n')).toMatch(/hello <name>\s+say hello/);
  });
});

describe('embed', () => {
  it('walks directories for images, writes one JSON line per input in order; a bad image is its line’s error (exit 1)', async () => {
    const out = join(dir, 'out.jsonl');
    const x = io(MODEL_ENV);
    const code = await runClipCli(
      ['embed', join(dir, 'photos'), '--text', 'a photo of a cat', '--out', out],
      x,
    );
    expect(code).toBe(1);
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { input: string; kind: string; embedding?: number[]; error?: { code: string } },
      );
    expect(lines.map((l) => [l.input, l.kind])).toEqual([
      [join(dir, 'photos', 'a.jpg'), 'image'],
      [join(dir, 'photos', 'c.jpg'), 'image'],
      [join(dir, 'photos', 'nested', 'b.PNG'), 'image'],
      ['a photo of a cat', 'text'],
    ]);
    const [va] = await local.embedImages([join(dir, 'photos', 'a.jpg')]);
    expect(lines[0]!.embedding).toEqual(Array.from(va!.embedding!));
    expect(lines[1]!.error?.code).toBe('decode');
    const [vt] = await local.embedTexts(['a photo of a cat']);
    expect(lines[3]!.embedding).toEqual(Array.from(vt!));
    expect(x.errLines.join('\n')).toMatch(/embed: 4\/4 inputs \(100%\).*1 failed/);
    expect(x.errLines.join('\n')).toMatch(/embedded 3 of 4 inputs \(1 failed\)/);
  });

  it('stdout and base64 encoding; all good → exit 0', async () => {
    const x = io(MODEL_ENV);
    expect(
      await runClipCli(['embed', join(dir, 'photos', 'a.jpg'), '--encoding', 'base64', '--no-progress'], x),
    ).toBe(0);
    expect(x.outLines).toHaveLength(1);
    expect(typeof (JSON.parse(x.outLines[0]!) as { embedding: unknown }).embedding).toBe('string');
  });

  it('a missing path or an empty directory is a usage error (2) before any model loads', async () => {
    const x = io({ CLIP_MODEL_PATH: '/nonexistent-model-dir' });
    expect(await runClipCli(['embed', join(dir, 'nope.jpg'), join(dir, 'also-nope')], x)).toBe(2);
    expect(x.errLines).toEqual([
      `pmoves-clip embed: no such file or directory: ${join(dir, 'nope.jpg')}, ${join(dir, 'also-nope')}`,
    ]);
    await mkdir(join(dir, 'empty'), { recursive: true });
    expect(await runClipCli(['embed', join(dir, 'empty')], io())).toBe(2);
    expect(await runClipCli(['embed', '--batch', '0', join(dir, 'photos')], io())).toBe(2);
  });
});

describe('info', () => {
  it('prints what the environment loads, as JSON', async () => {
    const x = io(MODEL_ENV);
    expect(await runClipCli(['info'], x)).toBe(0);
    const info = JSON.parse(x.outLines.join('\n')) as { dims: number; dtype: string; provider: string };
    expect(info).toMatchObject({ dims: local.info().dims, dtype: 'fp32', provider: 'cpu' });
  });
});

describe('serve', () => {
  it('listens, loads the model, serves, and stops gracefully on the stop signal', async () => {
    const stop = new AbortController();
    const x = io({ ...MODEL_ENV, PORT: '0', CLIP_SERVER_MODEL_NAME: 'tiny' }, stop.signal);
    const done = runClipCli(['serve'], x);
    let url: string | undefined;
    while (!url || !x.errLines.some((l) => l.includes('ready'))) {
      url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(x.errLines.join('\n'))?.[1];
      await new Promise((r) => setTimeout(r, 20));
    }
    const res = await fetch(`${url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', input: 'a photo of a cat' }),
    });
    const body = (await res.json()) as { data: { embedding: number[] }[] };
    const [vt] = await local.embedTexts(['a photo of a cat']);
    expect(body.data[0]!.embedding).toEqual(Array.from(vt!));
    stop.abort();
    expect(await done).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('bad configuration: exit 2, one line naming every bad variable', async () => {
    const x = io({ ...MODEL_ENV, PORT: '99999', CLIP_SERVER_TIMEOUT: 'soon', CLIP_SERVER_TOKEN: 'x' });
    expect(await runClipCli(['serve'], x)).toBe(2);
    expect(x.errLines).toHaveLength(1);
    expect(x.errLines[0]).toMatch(
      /^pmoves-clip serve: invalid environment \(2 problems\): PORT .*; CLIP_SERVER_TIMEOUT /,
    );
  });
});
