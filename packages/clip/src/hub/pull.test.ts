// pullModel against a loopback stand-in of the Hugging Face hub (test/hub-stand-in.ts): the
// resolve protocol, the hub cache layout, resume, verification, offline behaviour, and the
// embedder finding (or, with autoDownload, pulling) the model by its repo id.
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubStandIn, type HubStandIn } from '../../test/hub-stand-in';
import { LAYOUT_DIR } from '../../test/models';
import { createClipEmbedder } from '../embedder/embedder';
import { ClipError } from '../errors';
import { pullModel } from './pull';

let hub: HubStandIn;
const tmp = mkdtempSync(join(tmpdir(), 'clip-pull-'));
let n = 0;
const freshCache = () => join(tmp, `cache-${n++}`);

beforeAll(async () => {
  hub = await startHubStandIn(LAYOUT_DIR.split);
});
afterAll(async () => {
  await hub.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<ClipError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClipError);
  return err as ClipError;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('pullModel (hub stand-in)', () => {
  it('writes the standard hub cache: blobs by ETag, snapshots/<commit> links, refs/main; only what the dtype needs', async () => {
    const cache = freshCache();
    hub.seen.length = 0;
    const r = await pullModel({
      repo: hub.repo,
      dtype: 'fp32',
      cacheDir: cache,
      endpoint: hub.url,
      token: 'hf_test',
    });
    const root = join(cache, 'models--pmoves-test--clip-tiny');
    expect(r.commit).toBe(hub.commit);
    expect(r.snapshot).toBe(join(root, 'snapshots', hub.commit));
    expect(readFileSync(join(root, 'refs', 'main'), 'utf8')).toBe(hub.commit);
    const pulled = r.files.map((f) => f.path).sort();
    expect(pulled).toEqual(
      [
        'config.json',
        'onnx/text_model.onnx',
        'onnx/vision_model.onnx',
        'preprocessor_config.json',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ].sort(),
    );
    // The fp16 and q8 graphs were not fetched.
    expect(hub.seen.some((s) => s.path.includes('_quantized') || s.path.includes('_fp16'))).toBe(false);
    for (const f of r.files) {
      const pointer = join(r.snapshot, f.path);
      expect(lstatSync(pointer).isSymbolicLink()).toBe(true);
      expect(readlinkSync(pointer)).not.toMatch(/^\//); // relative, as huggingface_hub writes them
      expect(existsSync(join(root, 'blobs', f.etag))).toBe(true);
      expect(readFileSync(pointer).equals(readFileSync(join(LAYOUT_DIR.split, f.path)))).toBe(true);
    }
    const vision = r.files.find((f) => f.path === 'onnx/vision_model.onnx')!;
    expect(vision.etag).toBe(sha256(join(LAYOUT_DIR.split, 'onnx/vision_model.onnx')));
    // The token goes to the hub, never to the content host's signed URL.
    expect(hub.seen.filter((s) => s.path.startsWith('/cdn/')).every((s) => !s.authorization)).toBe(true);
    expect(
      hub.seen.filter((s) => s.path.startsWith('/api/')).every((s) => s.authorization === 'Bearer hf_test'),
    ).toBe(true);
    // Every HEAD was pinned to the listed commit.
    expect(
      hub.seen.filter((s) => s.method === 'HEAD').every((s) => s.path.includes(`/resolve/${hub.commit}/`)),
    ).toBe(true);

    // Pulled again: nothing is downloaded, every blob is verified in place.
    hub.seen.length = 0;
    const again = await pullModel({ repo: hub.repo, dtype: 'fp32', cacheDir: cache, endpoint: hub.url });
    expect(again.files.every((f) => f.source === 'cached')).toBe(true);
    expect(hub.seen.filter((s) => s.method === 'GET' && !s.path.startsWith('/api/'))).toEqual([]);

    // The embedder loads the pulled snapshot by repo id from the hub cache.
    const e = await createClipEmbedder({ model: hub.repo, hubCache: cache, device: 'cpu' });
    try {
      expect(e.info().files.vision).toBe(join(r.snapshot, 'onnx', 'vision_model.onnx'));
      expect((await e.embedTexts(['a cat']))[0]!.length).toBe(16);
    } finally {
      await e.dispose();
    }
  });

  it('q8 on this CPU takes one quantized graph per tower', async () => {
    const r = await pullModel({
      repo: hub.repo,
      dtype: 'q8',
      cacheDir: freshCache(),
      endpoint: hub.url,
      modalities: ['image'],
    });
    expect(r.files.map((f) => f.path).filter((p) => p.endsWith('.onnx'))).toEqual([
      'onnx/vision_model_quantized.onnx',
    ]);
    expect(r.files.map((f) => f.path)).not.toContain('tokenizer.json');
  });

  it('resumes an interrupted transfer with a range request', async () => {
    const cache = freshCache();
    // Graphs are pulled first: the vision graph's transfer breaks off at 40 %.
    const size = statSync(join(LAYOUT_DIR.split, 'onnx/vision_model.onnx')).size;
    hub.cutNextAfter(Math.floor(size * 0.4));
    const err = await rejection(
      pullModel({ repo: hub.repo, dtype: 'fp32', cacheDir: cache, endpoint: hub.url }),
    );
    expect(err.code).toBe('fetch');
    expect(err.message).toMatch(/pull again to resume/);
    const blobs = join(cache, 'models--pmoves-test--clip-tiny', 'blobs');
    const partial = readdirIncomplete(blobs);
    expect(partial).toHaveLength(1);
    const kept = statSync(join(blobs, partial[0]!)).size;
    expect(kept).toBeGreaterThan(0);
    hub.seen.length = 0;
    const r = await pullModel({ repo: hub.repo, dtype: 'fp32', cacheDir: cache, endpoint: hub.url });
    const resumed = r.files.filter((f) => f.source === 'resumed');
    expect(resumed).toHaveLength(1);
    expect(hub.seen.some((s) => s.path.startsWith('/cdn/') && s.range === `bytes=${kept}-`)).toBe(true);
    for (const f of r.files)
      expect(
        readFileSync(join(r.snapshot, f.path)).equals(readFileSync(join(LAYOUT_DIR.split, f.path))),
      ).toBe(true);
    expect(readdirIncomplete(blobs)).toEqual([]);
  });

  it('rejects a corrupted file and places nothing', async () => {
    const cache = freshCache();
    hub.corrupt(true);
    try {
      const err = await rejection(
        pullModel({ repo: hub.repo, dtype: 'fp32', cacheDir: cache, endpoint: hub.url }),
      );
      expect(err.code).toBe('fetch');
      expect(err.message).toMatch(/is corrupt: its (sha256|git sha1) is [0-9a-f]+, the hub's ETag says/);
    } finally {
      hub.corrupt(false);
    }
    const root = join(cache, 'models--pmoves-test--clip-tiny');
    expect(readdirIncomplete(join(root, 'blobs'))).toEqual([]);
    expect(existsSync(join(root, 'refs', 'main'))).toBe(false);
  });

  it('a corrupted blob already in the cache is downloaded again, not trusted', async () => {
    const cache = freshCache();
    const r = await pullModel({
      repo: hub.repo,
      dtype: 'fp32',
      cacheDir: cache,
      endpoint: hub.url,
      modalities: ['text'],
    });
    const tok = r.files.find((f) => f.path === 'tokenizer.json')!;
    writeFileSync(join(cache, 'models--pmoves-test--clip-tiny', 'blobs', tok.etag), '{}');
    const again = await pullModel({
      repo: hub.repo,
      dtype: 'fp32',
      cacheDir: cache,
      endpoint: hub.url,
      modalities: ['text'],
    });
    expect(again.files.find((f) => f.path === 'tokenizer.json')!.source).toBe('downloaded');
  });

  it('offline fails fast listing the missing files and how to provide them; a cached copy is used', async () => {
    const cache = freshCache();
    hub.seen.length = 0;
    const err = await rejection(
      pullModel({ repo: hub.repo, cacheDir: cache, endpoint: hub.url, offline: true }),
    );
    expect(err.code).toBe('not-found');
    expect(err.message).toContain('onnx/vision_model');
    expect(err.message).toContain('tokenizer.json');
    expect(err.message).toMatch(/pmoves-clip pull pmoves-test\/clip-tiny/);
    expect(err.message).toContain('CLIP_MODEL_PATH');
    expect(hub.seen).toEqual([]);
    // An unreachable hub is the same: one refused connection, no waiting.
    const unreachable = await rejection(
      pullModel({ repo: hub.repo, cacheDir: cache, endpoint: 'http://127.0.0.1:9', timeoutMs: 2000 }),
    );
    expect(unreachable.message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(unreachable.message).toMatch(/To provide them/);
    // After a pull, offline answers from the cache.
    await pullModel({ repo: hub.repo, dtype: 'fp16', cacheDir: cache, endpoint: hub.url });
    const offline = await pullModel({ repo: hub.repo, dtype: 'fp16', cacheDir: cache, offline: true });
    expect(offline.commit).toBe(hub.commit);
    expect(offline.files.map((f) => f.path)).toContain('onnx/vision_model_fp16.onnx');
  });

  it('names what a repo lacks and refuses bad repo ids', async () => {
    const err = await rejection(
      pullModel({ repo: 'pmoves-test/nope', cacheDir: freshCache(), endpoint: hub.url }),
    );
    expect(err.message).toMatch(/HTTP 404/);
    await expect(pullModel({ repo: '../etc', endpoint: hub.url })).rejects.toMatchObject({
      code: 'invalid-input',
    });
  });
});

describe('autoDownload', () => {
  it('the embedder pulls a missing model on first use only when autoDownload is on', async () => {
    const cache = freshCache();
    const base = { model: hub.repo, hubCache: cache, device: 'cpu' as const, hub: { endpoint: hub.url } };
    const missing = await rejection(createClipEmbedder(base));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toContain('CLIP_AUTO_DOWNLOAD');
    const e = await createClipEmbedder({ ...base, autoDownload: true });
    try {
      expect(e.info().files.vision).toContain(
        join('models--pmoves-test--clip-tiny', 'snapshots', hub.commit),
      );
      expect(e.info().dtype).toBe('q8');
    } finally {
      await e.dispose();
    }
  });
});

function readdirIncomplete(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.incomplete')) : [];
}
