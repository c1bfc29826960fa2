// Index data never makes the CLIP provider read a local file it was not configured to (issue #17.4):
// a candidate image given as a non-http(s) string is refused unless it lies inside a configured
// media root, resolved with realpath (no `..`, no symlink escape), and the refusal reads the same
// whether or not the file exists.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClipProvider, createReranker, type Candidate } from '../..';
import { stubEmbedder } from '../../../test/helpers/stub-embedder';

let dir: string;
let root: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rerank-media-'));
  root = join(dir, 'media');
  await mkdir(join(root, 'thumbs'), { recursive: true });
  await writeFile(join(root, 'thumbs', 'cat.jpg'), 'IMG:cat');
  await writeFile(join(root, 'dog.jpg'), 'IMG:dog');
  // Outside the root, next to it: what `..` and symlinks try to reach.
  await writeFile(join(dir, 'secret.jpg'), 'IMG:secret');
  await symlink(join(dir, 'secret.jpg'), join(root, 'escape.jpg'));
  await symlink(dir, join(root, 'up'));
  await symlink(join(root, 'dog.jpg'), join(root, 'thumbs', 'dog-link.jpg'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function rerank(candidates: Candidate[], mediaRoots?: string[]) {
  const embedder = stubEmbedder();
  const inputs: unknown[] = [];
  const embedImages = embedder.embedImages.bind(embedder);
  embedder.embedImages = (batch, opts) => {
    inputs.push(...batch);
    return embedImages(batch, opts);
  };
  const provider = createClipProvider({ embedder, ...(mediaRoots ? { mediaRoots } : {}) });
  const res = await createReranker({ providers: [provider] }).rerank({
    query: 'cat',
    candidates: [{ id: 'anchor', text: 'cat' }, ...candidates],
  });
  await provider.dispose();
  return { res, inputs, warning: (id: string) => res.hits.find((h) => h.id === id)?.warning };
}

describe('local image paths (no media roots: the default)', () => {
  it('refuses every path without reading it, with the same message whether or not the file exists', async () => {
    const { res, inputs, warning } = await rerank([
      { id: 'passwd', image: '/etc/passwd' },
      { id: 'missing', image: '/etc/no-such-file-here' },
      { id: 'environ', image: '/proc/self/environ' },
      { id: 'file-url', image: pathToFileURL(join(root, 'dog.jpg')).href },
      { id: 'relative', image: 'thumbs/cat.jpg' },
      { id: 'inside-but-no-roots', image: join(root, 'dog.jpg') },
    ]);
    const ids = ['passwd', 'missing', 'environ', 'file-url', 'relative', 'inside-but-no-roots'];
    for (const id of ids) expect(res.hits.find((h) => h.id === id)?.score).toBeNull();
    const messages = new Set(ids.map(warning));
    expect(messages.size).toBe(1);
    expect([...messages][0]).toMatch(/^image not scored \(blocked\): local file paths are refused/);
    // Nothing was read: the embedder received no image at all.
    expect(inputs).toEqual([]);
  });

  it('refuses other URL schemes too', async () => {
    const { warning } = await rerank([{ id: 's3', image: 's3://bucket/thumb.jpg' }]);
    expect(warning('s3')).toMatch(/blocked.*s3:/);
  });
});

describe('local image paths inside media roots', () => {
  it('scores files inside a root; refuses `..`, symlink escapes and missing files alike', async () => {
    const { res, warning, inputs } = await rerank(
      [
        { id: 'inside', image: join(root, 'thumbs', 'cat.jpg') },
        { id: 'inside-url', image: pathToFileURL(join(root, 'dog.jpg')).href },
        { id: 'link-inside', image: join(root, 'thumbs', 'dog-link.jpg') },
        { id: 'dotdot', image: join(root, 'thumbs', '..', '..', 'secret.jpg') },
        { id: 'symlink-file', image: join(root, 'escape.jpg') },
        { id: 'symlink-dir', image: join(root, 'up', 'secret.jpg') },
        { id: 'outside', image: join(dir, 'secret.jpg') },
        { id: 'missing-inside', image: join(root, 'nope.jpg') },
        { id: 'missing-outside', image: join(dir, 'nope.jpg') },
        { id: 'a-directory', image: join(root, 'thumbs') },
        { id: 'passwd', image: '/etc/passwd' },
      ],
      [root],
    );
    const score = (id: string) => res.hits.find((h) => h.id === id)?.score;
    expect(score('inside')).toBeCloseTo(1, 5);
    expect(typeof score('inside-url')).toBe('number');
    expect(typeof score('link-inside')).toBe('number');
    const refused = [
      'dotdot',
      'symlink-file',
      'symlink-dir',
      'outside',
      'missing-inside',
      'missing-outside',
      'a-directory',
      'passwd',
    ];
    for (const id of refused) expect(score(id), id).toBeNull();
    const messages = new Set(refused.map(warning));
    expect(messages.size).toBe(1);
    expect([...messages][0]).toMatch(/^image not scored \(blocked\): local file paths are refused/);
    // Only the three allowed files were read (as bytes, never handed over as paths).
    expect(inputs.map((i) => Buffer.from(i as Uint8Array).toString('latin1')).sort()).toEqual([
      'IMG:cat',
      'IMG:dog',
    ]);
  });

  it('a relative root is refused as an option', () => {
    expect(() => createClipProvider({ mediaRoots: ['media'] })).toThrow(/mediaRoots/);
  });
});
