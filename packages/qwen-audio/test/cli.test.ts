import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/backfill.js';
import type { BackfillIo } from '../src/cli/backfill.js';
import { DEFAULT_QWEN_MODEL } from '../src/config/env.js';
import { createPgliteStore } from '../src/store/pglite.js';
import type { AudioAnalysisStore } from '../src/store/types.js';
import { makeTmpDir, synth, tone } from './helpers/fixtures.js';
import { fakeOllama, replyJson, sendJson, startServer } from './helpers/http.js';
import type { CannedReply, TestServer } from './helpers/http.js';

const API_KEY = 'jellyfin-test-key';
let dir: string;
let cleanup: () => Promise<void>;
const media: Record<string, string> = {};
const servers: TestServer[] = [];
let run = 0;
// One in-memory PGlite shared by most runs (PGlite takes seconds to start on a busy 2-core box);
// the first full run goes through --pglite-dir like a user would.
let shared: AudioAnalysisStore;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTmpDir());
  shared = createPgliteStore();
  await Promise.all([
    shared.migrate(),
    synth(join(dir, 'one.mp3'), tone(300, 2)).then((p) => (media.one = p)),
    synth(join(dir, 'two.flac'), tone(600, 2)).then((p) => (media.two = p)),
    synth(join(dir, 'three.m4a'), tone(900, 2), ['-c:a', 'aac']).then((p) => (media.three = p)),
  ]);
});
afterAll(async () => {
  await shared?.close();
  await cleanup?.();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const ITEMS = [
  { Id: 'aaa111', Name: 'One', Type: 'Audio', DateCreated: '2024-01-01T00:00:00.0000000Z', file: 'one' },
  { Id: 'bbb222', Name: 'Two', Type: 'Audio', DateCreated: '2024-06-01T00:00:00.0000000Z', file: 'two' },
  { Id: 'ccc333', Name: 'Three', Type: 'Audio', DateCreated: '2025-01-01T00:00:00.0000000Z', file: 'three' },
];

/** Jellyfin-speaking server: paged /Items and /Items/{id}/Download, API key required. */
async function fakeJellyfin(items = ITEMS): Promise<TestServer> {
  const s = await startServer(async (req, res) => {
    if (!String(req.headers.authorization ?? '').includes(`Token="${API_KEY}"`))
      return sendJson(res, 401, { error: 'unauthorized' });
    if (req.path === '/Items') {
      const start = Number(req.query.get('StartIndex') ?? 0);
      const limit = Number(req.query.get('Limit') ?? 100);
      const page = items.slice(start, start + limit).map(({ file: _f, ...i }) => i);
      return sendJson(res, 200, { Items: page, TotalRecordCount: items.length, StartIndex: start });
    }
    const m = /^\/Items\/([^/]+)\/Download$/.exec(req.path);
    const item = m && items.find((i) => i.Id === m[1]);
    if (!item || !media[item.file]) return sendJson(res, 404, { error: 'not found' });
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(await readFile(media[item.file]!));
  });
  servers.push(s);
  return s;
}

async function ollama(
  chat: (n: number) => CannedReply = () => ({ content: replyJson() }),
): Promise<TestServer> {
  const s = await fakeOllama({ models: { [DEFAULT_QWEN_MODEL]: ['completion', 'audio'] }, chat });
  servers.push(s);
  return s;
}

function io(env: Record<string, string>, extra: Partial<BackfillIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), isTTY: false, env, ...extra },
  };
}

function paths() {
  run++;
  return { state: join(dir, `state-${run}.json`), db: join(dir, `db-${run}`) };
}

describe('pmoves-qwen-audio backfill, end to end against loopback Jellyfin + Ollama + PGlite', () => {
  it('--dry-run lists what would be analysed and decodes, calls and writes nothing', async () => {
    const jf = await fakeJellyfin();
    const ol = await ollama();
    const p = paths();
    const c = io({ JELLYFIN_URL: jf.url, JELLYFIN_API_KEY: API_KEY, QWEN_AUDIO_URL: ol.url });
    const code = await runCli(
      ['backfill', '--dry-run', '--state', p.state, '--pglite-dir', p.db, '--page-size', '2'],
      c.io,
    );
    expect(code).toBe(0);
    expect(c.out).toEqual([
      'would analyse aaa111 (One)',
      'would analyse bbb222 (Two)',
      'would analyse ccc333 (Three)',
      expect.stringMatching(/dry run: 3 item/),
    ]);
    expect(ol.requests).toHaveLength(0);
    expect(jf.requests.every((r) => r.path === '/Items')).toBe(true);
    expect(existsSync(p.state)).toBe(false);
    expect(existsSync(p.db)).toBe(false);
  });

  it('analyses every item with paging and API-key auth, stores rows, logs plain lines, and skips them on rerun', async () => {
    const jf = await fakeJellyfin();
    const ol = await ollama();
    const p = paths();
    const env = {
      JELLYFIN_URL: jf.url,
      JELLYFIN_API_KEY: API_KEY,
      QWEN_AUDIO_URL: ol.url,
      JELLYFIN_AUDIO_QWEN_ENABLE: 'true',
    };
    const args = [
      'backfill',
      '--state',
      p.state,
      '--pglite-dir',
      p.db,
      '--page-size',
      '2',
      '--concurrency',
      '2',
    ];
    const c = io(env);
    const code = await runCli(args, c.io);
    expect(c.out.at(-1), c.err.join('\n')).toBe('processed 3, skipped 0, failed 0');
    expect(code).toBe(0);
    expect(c.err.filter((l) => /^\[\d\/3\] processed /.test(l))).toHaveLength(3);
    expect(c.err.join('\n')).not.toContain(API_KEY);
    const list = jf.requests.filter((r) => r.path === '/Items');
    expect(list.map((r) => r.query.get('StartIndex'))).toEqual(['0', '2']);
    expect(list[0]!.query.get('Recursive')).toBe('true');
    expect(list[0]!.query.get('IncludeItemTypes')).toBe('Audio');
    expect(list[0]!.headers.authorization).toMatch(/^MediaBrowser .*Token="jellyfin-test-key"/);
    expect(list[0]!.headers['x-emby-token']).toBe(API_KEY);
    expect(ol.requests.filter((r) => r.path === '/api/chat')).toHaveLength(3);

    const store = createPgliteStore({ dataDir: p.db });
    const row = await store.get('bbb222');
    await store.close();
    expect(row).toMatchObject({
      status: 'ok',
      model: DEFAULT_QWEN_MODEL,
      backend: 'ollama',
      tags: ['electronic', 'tone', 'test-signal'],
    });
    expect(Math.abs(row!.features!.spectral_centroid_mean - 600)).toBeLessThan(50);

    const again = io(env);
    expect(await runCli(args, again.io)).toBe(0);
    expect(again.err[0]).toMatch(/resuming: 3 item\(s\) already done/);
    expect(again.out.at(-1)).toBe('processed 0, skipped 0, failed 0');
    // --force ignores the state file; the store still sees unchanged audio and re-analyses because forced.
    const forced = io(env, { store: shared });
    expect(await runCli([...args, '--force', '--limit', '1'], forced.io)).toBe(0);
    expect(forced.out.at(-1)).toBe('processed 1, skipped 0, failed 0');
  });

  it('stops on request after the in-flight item, saves progress (exit 130), and resumes with the rest', async () => {
    const jf = await fakeJellyfin(ITEMS.map((i) => ({ ...i, Id: `s-${i.Id}` })));
    const stop = new AbortController();
    const ol = await ollama((n) => {
      if (n === 0) stop.abort(); // Ctrl-C while the first item is being analysed
      return { content: replyJson() };
    });
    const p = paths();
    const env = {
      JELLYFIN_URL: jf.url,
      JELLYFIN_API_KEY: API_KEY,
      QWEN_AUDIO_URL: ol.url,
      JELLYFIN_AUDIO_QWEN_ENABLE: '1',
    };
    const args = ['backfill', '--state', p.state, '--pglite-dir', p.db];
    const first = io(env, { stop: stop.signal, store: shared });
    expect(await runCli(args, first.io)).toBe(130);
    expect(first.out.at(-1)).toBe(
      'processed 1, skipped 0, failed 0 (interrupted; progress saved, rerun to resume)',
    );
    const state = JSON.parse(await readFile(p.state, 'utf8'));
    expect(state.done).toEqual(['s-aaa111']);

    const second = io(env, { store: shared });
    expect(await runCli(args, second.io)).toBe(0);
    expect(second.out.at(-1)).toBe('processed 2, skipped 0, failed 0');
    expect(ol.requests.filter((r) => r.path === '/api/chat')).toHaveLength(3);
  });

  it('records failures in the store, keeps going, and exits 1', async () => {
    const items = [
      ...ITEMS.slice(0, 2).map((i) => ({ ...i, Id: `f-${i.Id}` })),
      { Id: 'gone999', Name: 'Gone', Type: 'Audio', DateCreated: '2025-02-01T00:00:00Z', file: 'missing' },
    ];
    const jf = await fakeJellyfin(items);
    const ol = await ollama((n) => (n < 2 ? { content: 'no idea' } : { content: replyJson() }));
    const p = paths();
    const env = {
      JELLYFIN_URL: jf.url,
      JELLYFIN_API_KEY: API_KEY,
      QWEN_AUDIO_URL: ol.url,
      JELLYFIN_AUDIO_QWEN_ENABLE: 'on',
    };
    const c = io(env, { store: shared });
    expect(await runCli(['backfill', '--state', p.state], c.io)).toBe(1);
    expect(c.out.at(-1)).toBe('processed 1, skipped 0, failed 2');
    const [a, b, g] = [
      await shared.get('f-aaa111'),
      await shared.get('f-bbb222'),
      await shared.get('gone999'),
    ];
    expect(a).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^bad-output: /),
      summary: null,
    });
    expect(b).toMatchObject({ status: 'ok' });
    expect(g).toMatchObject({ status: 'failed', error: expect.stringMatching(/^source: .*HTTP 404/) });
    expect(JSON.parse(await readFile(p.state, 'utf8'))).toMatchObject({
      done: ['f-bbb222'],
      failed: expect.arrayContaining(['f-aaa111', 'gone999']),
    });
  });

  it('takes files instead of Jellyfin, honours --files-from, --start-after, --since and --limit', async () => {
    const ol = await ollama();
    const p = paths();
    const list = join(dir, 'list.txt');
    await writeFile(list, `# media\n${media.two}\n\n${media.three}\n`);
    const env = { QWEN_AUDIO_URL: ol.url };
    const c = io(env, { store: shared });
    const code = await runCli(
      [
        'backfill',
        media.one!,
        '--files-from',
        list,
        '--start-after',
        media.one!,
        '--limit',
        '1',
        '--enable',
        '--state',
        p.state,
      ],
      c.io,
    );
    expect(code).toBe(0);
    expect(c.out.at(-1)).toBe('processed 1, skipped 0, failed 0');
    expect(c.err.some((l) => l.includes(`processed ${media.two}`))).toBe(true);
    const d = io(env);
    expect(
      await runCli(['backfill', media.one!, '--since', '2999-01-01', '--dry-run', '--state', p.state], d.io),
    ).toBe(0);
    expect(d.out).toEqual([expect.stringMatching(/dry run: 0 item/)]);
  });

  it('refuses to run with the toggle off, with bad flags, or with no source (exit 2)', async () => {
    const ol = await ollama();
    const c = io({ QWEN_AUDIO_URL: ol.url });
    expect(await runCli(['backfill', media.one!, '--state', join(dir, 'x.json')], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/JELLYFIN_AUDIO_QWEN_ENABLE is off/);
    expect(ol.requests).toHaveLength(0);
    const bad = io({});
    expect(await runCli(['backfill', '--limit', 'lots'], bad.io)).toBe(2);
    expect(bad.err.join('\n')).toMatch(/--limit must be a positive integer/);
    const none = io({});
    expect(await runCli(['backfill', '--enable'], none.io)).toBe(2);
    expect(none.err.join('\n')).toMatch(/JELLYFIN_URL/);
  });
});
