// `pmoves-clip index` through the unified CLI (runClipCli, as the bin runs it), against the loopback Jellyfin
// stand-in, with the tiny generated model and a file-backed PGlite index (so a second run really
// starts from what the first one saved).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalClipEmbedder } from '../embedder/embedder';
import { countingView, tinyEmbedder } from '../../test/embedders';
import type { ClipEmbedder } from '../types';
import { captureIo } from '../../test/cli-io';
import { IMAGE_FIXTURES } from '../../test/models';
import { startJellyfinStandIn, type JellyfinStandIn } from '../../test/stand-ins/jellyfin';
import { CLIP_CLI_COMMANDS, runClipCli } from '../cli/main';
import type { CliIo } from '../cli/types';

let local: LocalClipEmbedder;
let jf: JellyfinStandIn;
let dir: string;

beforeAll(async () => {
  local = await tinyEmbedder();
  jf = await startJellyfinStandIn();
  ['chelsea.jpg', 'coffee.png', 'rocket.jpg'].forEach((f, i) =>
    jf.items.set(`i${i}`, {
      Id: `i${i}`,
      Name: f,
      Type: 'Movie',
      image: { bytes: new Uint8Array(readFileSync(join(IMAGE_FIXTURES, f))), type: 'image/jpeg' },
    }),
  );
  dir = await mkdtemp(join(tmpdir(), 'pmoves-clip-index-cli-'));
});
afterAll(async () => {
  await jf.close();
  await local.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** The embedder the CLI opens: the test's local model (its dispose leaves the model open). */
const sharedEmbedder = async (): Promise<ClipEmbedder> => countingView(local);

async function run(argv: string[], env: Record<string, string>, extra: Partial<CliIo> = {}) {
  const io = captureIo(env, extra);
  // The unified CLI, as the bin runs it, with the test's embedder.
  const code = await runClipCli(argv, io, CLIP_CLI_COMMANDS, sharedEmbedder);
  return { code, out: io.outLines, err: io.errLines };
}

const env = () => ({
  JELLYFIN_URL: jf.url,
  JELLYFIN_API_KEY: jf.apiKey,
  CLIP_INDEX_PATH: join(dir, 'index'),
  CLIP_INDEX_DIMS: String(local.info().dims),
});

describe('pmoves-clip index', () => {
  it('--help describes the command and its options', async () => {
    const r = await run(['index', '--help'], {});
    expect(r.code).toBe(0);
    expect(r.out.join('')).toMatch(/--keyframes[\s\S]*--concurrency <n>/);
  });

  it('names every missing or bad variable at once (exit 2) before opening anything', async () => {
    const r = await run(['index'], { CLIP_INDEX_DIMS: 'many', CLIP_INDEX_STORE: 'pglite' });
    expect(r.code).toBe(2);
    const text = r.err.join('\n');
    for (const name of ['JELLYFIN_URL', 'JELLYFIN_API_KEY', 'CLIP_INDEX_DIMS']) expect(text).toContain(name);
    expect((await run(['index', '--concurrency', '0'], env())).code).toBe(2);
  });

  it('indexes the library into a PGlite file, then resumes from it: nothing is embedded twice', async () => {
    const first = await run(['index', '--json', '--no-progress'], env());
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out[0]!)).toMatchObject({
      listed: 3,
      embedded: 3,
      unchanged: 0,
      failed: 0,
      interrupted: false,
    });
    expect(first.err.at(-1)).toMatch(
      /indexed 3 Jellyfin items into namespace "jellyfin": 3 embedded, 0 unchanged/,
    );
    const second = await run(['index'], env());
    expect(second.code).toBe(0);
    expect(second.err.at(-1)).toMatch(/0 embedded, 3 unchanged, 0 removed, 0 failed/);
  }, 240_000); // PGlite opens its directory twice

  it('draws a progress bar on a terminal; a stop request exits 130 saying how to resume', async () => {
    const stream = new PassThrough();
    let drawn = '';
    stream.on('data', (d: Buffer) => (drawn += d.toString()));
    const tty = await run(
      ['index', '--namespace', 'tty'],
      { ...env(), CLIP_INDEX_STORE: 'memory' },
      { isTTY: true, progressStream: stream },
    );
    expect(tty.code).toBe(0);
    expect(drawn).toMatch(/index \[.*\] 3\/3/);
    const stop = new AbortController();
    stop.abort();
    const stopped = await run(['index'], { ...env(), CLIP_INDEX_STORE: 'memory' }, { stop: stop.signal });
    expect(stopped.code).toBe(130);
    expect(stopped.err.at(-1)).toMatch(/interrupted: run again to resume/);
  });
});
