import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './program';
import type { BackfillIo } from './backfill';
import { createPgliteStore } from '../store/pglite';
import type { AudioAnalysisStore } from '../store/types';
import { makeTmpDir, synth, tone, watchCliDefaults } from '../../test/helpers/fixtures';
import { OLLAMA_AUDIO_MODEL, fakeOllama, replyJson, sendJson, startServer } from '../../test/helpers/http';
import type { CannedReply, TestServer } from '../../test/helpers/http';

const API_KEY = 'jellyfin-test-key';
// The Ollama stand-in serves a model it passes audio to; every run names it (QWEN_MODEL_NAME).
const MODEL = OLLAMA_AUDIO_MODEL;
let dir: string;
let cleanup: () => Promise<void>;
const media: Record<string, string> = {};
const servers: TestServer[] = [];
let run = 0;
// One in-memory PGlite shared by most runs (PGlite takes seconds to start on a busy 2-core box);
// the first full run goes through --pglite-dir like a user would.
let shared: AudioAnalysisStore;
// Every run here names its state file and its store (or a temporary PGlite directory): nothing may
// land in the repository as the CLI's default `.pmoves-qwen-audio-db` / state file.
const defaults = watchCliDefaults();

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
  expect(defaults.created(), 'a CLI run wrote its default paths outside a temporary directory').toEqual([]);
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
  const s = await fakeOllama({ models: { [MODEL]: ['completion', 'audio'] }, chat });
  servers.push(s);
  return s;
}

function io(env: Record<string, string>, extra: Partial<BackfillIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      isTTY: false,
      // A run that names no store gets a temporary PGlite directory, never `.pmoves-qwen-audio-db`.
      env: { QWEN_MODEL_NAME: MODEL, QWEN_AUDIO_PGLITE_DIR: join(dir, 'default-pglite'), ...env },
      ...extra,
    },
  };
}

/** The progress a state file holds for its one store (runs below write to one store each). */
async function storeProgress(path: string): Promise<{ done: string[]; failed: string[] }> {
  const state = JSON.parse(await readFile(path, 'utf8'));
  expect(state.version).toBe(2);
  const stores = Object.values(state.stores) as Array<{ done: string[]; failed: string[] }>;
  expect(stores).toHaveLength(1);
  return stores[0]!;
}

function paths() {
  run++;
  return { state: join(dir, `state-${run}.json`), db: join(dir, `db-${run}`) };
}

// Runs that open PGlite from disk take tens of seconds when the shared machine is loaded.
describe(
  'pmoves-qwen-audio backfill, end to end against loopback Jellyfin + Ollama + PGlite',
  { timeout: 180_000 },
  () => {
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
        model: MODEL,
        backend: 'ollama',
        tags: ['electronic', 'tone', 'test-signal'],
      });
      expect(Math.abs(row!.features!.spectral_centroid_mean - 600)).toBeLessThan(50);

      const again = io(env);
      expect(await runCli(args, again.io)).toBe(0);
      expect(again.err.join('\n')).toMatch(/resuming: 3 item\(s\) already done/);
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
      expect((await storeProgress(p.state)).done).toEqual(['s-aaa111']);

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
      expect(await storeProgress(p.state)).toMatchObject({
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
        await runCli(
          ['backfill', media.one!, '--since', '2999-01-01', '--dry-run', '--state', p.state],
          d.io,
        ),
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
  },
);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = await startServer(() => undefined);
  const port = Number(new URL(s.url).port);
  await s.close();
  return port;
}

/** A stream that says it is a terminal, collecting what cli-progress draws. */
function fakeTty() {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    }),
    { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
  );
  return { stream, text: () => chunks.join('') };
}

describe(
  'pmoves-qwen-audio backfill: the store, the backend and the inputs it is given (issue 17 item 9)',
  { timeout: 180_000 },
  () => {
    it('binds the resume state to the store: a PGlite run does not make an unreachable Postgres look done', async () => {
      const ol = await ollama();
      const p = paths();
      const env = { QWEN_AUDIO_URL: ol.url, JELLYFIN_AUDIO_QWEN_ENABLE: 'true' };
      const first = io(env);
      const args = ['backfill', media.one!, '--state', p.state];
      expect(await runCli([...args, '--pglite-dir', p.db], first.io)).toBe(0);
      expect(first.out.at(-1)).toBe('processed 1, skipped 0, failed 0');
      const chatsBefore = ol.requests.filter((r) => r.path === '/api/chat').length;

      const port = await closedPort();
      const second = io(env);
      const code = await runCli(
        [...args, '--store', 'postgres', '--database-url', `postgres://postgres@127.0.0.1:${port}/qa`],
        second.io,
      );
      const text = second.err.join('\n');
      expect(text).not.toMatch(/resuming/);
      expect(text).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`));
      expect(code).toBe(2);
      expect(second.out.join('\n')).not.toMatch(/processed 0/);
      // Nothing was analysed for a store that could not take the result.
      expect(ol.requests.filter((r) => r.path === '/api/chat')).toHaveLength(chatsBefore);

      // Back on the PGlite store, the state still says the item is done there.
      const third = io(env);
      expect(await runCli([...args, '--pglite-dir', p.db], third.io)).toBe(0);
      expect(third.err.join('\n')).toMatch(/resuming: 1 item\(s\) already done/);
    });

    it('prints which store and backend it uses', async () => {
      const ol = await ollama();
      const p = paths();
      const c = io({ QWEN_AUDIO_URL: ol.url, JELLYFIN_AUDIO_QWEN_ENABLE: 'true' }, { store: shared });
      expect(await runCli(['backfill', media.two!, '--state', p.state, '--force'], c.io)).toBe(0);
      const text = c.err.join('\n');
      expect(text).toMatch(/^store: /m);
      const url = ol.url.replace(/\./g, '\\.');
      expect(text).toMatch(new RegExp(`^backend: auto at ${url}, model ${MODEL}$`, 'm'));
      expect(text).toMatch(new RegExp(`^server: Ollama at ${url} \\(ollama protocol\\)$`, 'm'));

      const own = io({ QWEN_AUDIO_URL: ol.url, JELLYFIN_AUDIO_QWEN_ENABLE: 'true' });
      expect(await runCli(['backfill', media.two!, '--state', p.state, '--pglite-dir', p.db], own.io)).toBe(
        0,
      );
      expect(own.err.join('\n')).toMatch(/^store: pglite /m);
    });

    it('treats SUPABASE_URL without a key as a configuration error (exit 2), not as "use PGlite"', async () => {
      const ol = await ollama();
      const c = io({
        QWEN_AUDIO_URL: ol.url,
        JELLYFIN_AUDIO_QWEN_ENABLE: 'true',
        SUPABASE_URL: 'http://127.0.0.1:9/supabase',
      });
      expect(await runCli(['backfill', media.one!, '--state', join(dir, 'sb.json')], c.io)).toBe(2);
      expect(c.err.join('\n')).toMatch(
        /SUPABASE_URL.*SUPABASE_SERVICE_ROLE_KEY|SUPABASE_SERVICE_ROLE_KEY.*SUPABASE_URL/,
      );
      expect(ol.requests.filter((r) => r.path === '/api/chat')).toHaveLength(0);
    });

    it('shows failure reasons under the terminal progress bar', async () => {
      const ol = await ollama(() => ({ content: 'no idea' }));
      const tty = fakeTty();
      const c = io(
        { QWEN_AUDIO_URL: ol.url, JELLYFIN_AUDIO_QWEN_ENABLE: 'true' },
        { isTTY: true, store: shared, progressStream: tty.stream },
      );
      expect(
        await runCli(['backfill', media.three!, '--state', join(dir, 'tty.json'), '--force'], c.io),
      ).toBe(1);
      const drawn = tty.text();
      expect(drawn).toMatch(/fail 1/);
      expect(drawn).toContain(media.three!);
      expect(drawn).toMatch(/bad-output/);
    });

    it('names the URL and QWEN_AUDIO_URL when the model server is unreachable, and exits 2', async () => {
      const port = await closedPort();
      const url = `http://127.0.0.1:${port}`;
      const c = io({ QWEN_AUDIO_URL: url, JELLYFIN_AUDIO_QWEN_ENABLE: 'true' }, { store: shared });
      expect(await runCli(['backfill', media.one!, '--state', join(dir, 'down.json')], c.io)).toBe(2);
      const text = c.err.join('\n');
      expect(text).toContain(url);
      expect(text).toContain('QWEN_AUDIO_URL');
    });

    it('accepts only http(s) model server URLs, from the environment and from --url', async () => {
      for (const bad of ['localhost:11434', 'ftp://x']) {
        const c = io({ QWEN_AUDIO_URL: bad, JELLYFIN_AUDIO_QWEN_ENABLE: 'true' }, { store: shared });
        expect(await runCli(['backfill', media.one!, '--state', join(dir, 'u.json')], c.io), bad).toBe(2);
        expect(c.err.join('\n')).toMatch(/QWEN_AUDIO_URL.*http\(s\)/);
      }
      const flag = io({ JELLYFIN_AUDIO_QWEN_ENABLE: 'true' }, { store: shared });
      expect(
        await runCli(['backfill', media.one!, '--url', 'ftp://x', '--state', join(dir, 'u.json')], flag.io),
      ).toBe(2);
      expect(flag.err.join('\n')).toMatch(/--url.*http\(s\)/);
    });

    it('names DATABASE_URL when it is malformed', async () => {
      const ol = await ollama();
      for (const bad of ['base', 'not a url', 'mysql://h/db']) {
        const c = io({ QWEN_AUDIO_URL: ol.url, JELLYFIN_AUDIO_QWEN_ENABLE: 'true', DATABASE_URL: bad });
        const code = await runCli(
          ['backfill', media.one!, '--store', 'postgres', '--state', join(dir, 'db.json')],
          c.io,
        );
        expect(code, bad).toBe(2);
        expect(c.err.join('\n')).toMatch(/DATABASE_URL/);
        expect(c.err.join('\n')).not.toMatch(/ENOTFOUND/);
      }
      expect(ol.requests.filter((r) => r.path === '/api/chat')).toHaveLength(0);
    });

    it('walks a directory argument for media files, and --dry-run lists only files that exist', async () => {
      const tree = join(dir, 'tree');
      await mkdir(join(tree, 'sub'), { recursive: true });
      await copyFile(media.one!, join(tree, 'a.mp3'));
      await copyFile(media.two!, join(tree, 'sub', 'b.FLAC'));
      await writeFile(join(tree, 'notes.txt'), 'not media');
      const missing = join(dir, 'no-such-file.mp3');
      const c = io({});
      const code = await runCli(
        ['backfill', tree, missing, '--dry-run', '--state', join(dir, 'tree.json')],
        c.io,
      );
      expect(code).toBe(0);
      expect(c.out).toEqual([
        `would analyse ${join(tree, 'a.mp3')}`,
        `would analyse ${join(tree, 'sub', 'b.FLAC')}`,
        expect.stringMatching(/dry run: 2 item/),
      ]);
      expect(c.err.join('\n')).toContain(`missing: ${missing}`);
    });
  },
);
