// The server and remote client over the real embedder on a generated tiny model (deterministic
// test weights, no trained CLIP): the remote answers must equal the local ones bit for bit, and
// the CLI must start from the environment and serve.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_FIXTURES, LAYOUT_DIR } from '../../test/models';
import { createClipEmbedder, type LocalClipEmbedder } from '../embedder/embedder';
import { createRemoteClipEmbedder } from '../remote';
import { startClipServer, type RunningClipServer } from '.';

let local: LocalClipEmbedder;
let server: RunningClipServer;

beforeAll(async () => {
  local = await createClipEmbedder({ modelPath: LAYOUT_DIR.split, dtype: 'fp32', device: 'cpu' });
  server = await startClipServer({ embedder: local, port: 0 });
});
afterAll(async () => {
  await server?.close();
  await local?.dispose();
});

describe('server + remote client on a generated tiny model', () => {
  it('remote embeddings equal local ones; a corrupt file is a per-item decode error', async () => {
    const jpeg = await readFile(join(IMAGE_FIXTURES, 'chelsea.jpg'));
    const corrupt = await readFile(join(IMAGE_FIXTURES, 'not-an-image.jpg'));
    const remote = createRemoteClipEmbedder({ endpoint: server.url });
    const [r, l] = await Promise.all([
      remote.embedImages([new Uint8Array(jpeg), new Uint8Array(corrupt)]),
      local.embedImages([new Uint8Array(jpeg)]),
    ]);
    expect(Array.from(r[0]!.embedding!)).toEqual(Array.from(l[0]!.embedding!));
    expect(r[1]!.error?.code).toBe('decode');
    const [rt] = await remote.embedTexts(['a photo of a cat']);
    const [lt] = await local.embedTexts(['a photo of a cat']);
    expect(Array.from(rt!)).toEqual(Array.from(lt!));
    expect(remote.info().dims).toBe(local.info().dims);
  });

  it('pmoves-clip-server starts from the environment and serves', async () => {
    const cli = resolve(__dirname, 'cli.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', cli], {
      env: {
        ...process.env,
        PORT: '0',
        CLIP_MODEL_PATH: LAYOUT_DIR.split,
        CLIP_DTYPE: 'fp32',
        CLIP_DEVICE: 'cpu',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const url = await new Promise<string>((res, rej) => {
        let log = '';
        const timer = setTimeout(() => rej(new Error(`no listen and ready lines: ${log}`)), 50_000);
        child.stderr.on('data', (d: Buffer) => {
          log += d.toString();
          // The server listens first and loads the model after: wait for both lines.
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)[^]*; ready/.exec(log);
          if (m) {
            clearTimeout(timer);
            res(m[1]!);
          }
        });
        child.once('exit', (code) => rej(new Error(`exited ${code}: ${log}`)));
      });
      const remote = createRemoteClipEmbedder({ endpoint: url });
      const [v] = await remote.embedTexts(['a photo of a cat']);
      const [lt] = await local.embedTexts(['a photo of a cat']);
      expect(Array.from(v!)).toEqual(Array.from(lt!));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 60_000);
});
