import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipTokenizer, cosineSimilarity, createClipEmbedder } from '@pmoves/clip';
import { describe, expect, it } from 'vitest';
import { loadSampleIndex } from '../../hi-rag-gateway/src/sample-index';
import { clipHook, matchQuery } from '../../publisher/src/enrichment';
import { tinyClipModel } from '../../test/models';
import { renderEmbedHtml, renderMarkdown } from './embed-html';
import { buildLibraryIndex, LIBRARY_NAMESPACE } from './library';
import { ensureTestModel } from './test-model';

describe('the demo’s generated test model', () => {
  it('loads with its made-up tokenizer: byte ids, end-of-word ids, CLIP’s start/end ids', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pmoves-demo-model-'));
    try {
      const model = ensureTestModel(dir);
      const tok = ClipTokenizer.fromFiles(
        join(model, 'tokenizer.json'),
        join(model, 'tokenizer_config.json'),
      );
      const ids = tok.tokenize('Red  circle!');
      expect(ids[0]).toBe(49406);
      expect(ids.at(-1)).toBe(49407);
      // "Red" → r, e, d</w> (id = byte, +256 at the end of a word), lower-cased; "!" is its own word.
      expect(ids.slice(1, 4)).toEqual([114, 101, 256 + 100]);
      expect(ids.slice(-2, -1)).toEqual([256 + 33]);
      expect(ids.every((id) => id < 512 || id >= 49406)).toBe(true);
      const e = await createClipEmbedder({ modelPath: model, device: 'cpu', dtype: 'fp32' });
      const [v] = await e.embedTexts(['a red circle']);
      expect(v!.length).toBe(16);
      await e.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the embed page', () => {
  it('renders the markdown the PMOVES embed uses, escaping everything else', () => {
    expect(renderMarkdown('`a<b>` · **bold** _conf 0.74_\n[Open](https://x.example/a)')).toBe(
      '<code>a&lt;b&gt;</code> · <strong>bold</strong> <em>conf 0.74</em><br><a href="https://x.example/a">Open</a>',
    );
    expect(renderMarkdown('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(renderMarkdown('[x](javascript:alert(1))')).not.toContain('<a');
  });

  it('inlines known images and shows the fields, colour and note', () => {
    const html = renderEmbedHtml(
      {
        username: 'PMOVES',
        embeds: [
          {
            title: 'Published: X',
            color: 0x22c55e,
            fields: [{ name: 'Top CLIP match', value: '`sample-04` · cosine 0.281', inline: true }],
            thumbnail: { url: 'http://127.0.0.1:1/t.png' },
          },
        ],
      },
      { images: { 'http://127.0.0.1:1/t.png': 'data:image/png;base64,AAAA' }, note: 'generated model' },
    );
    expect(html).toContain('border-left-color:#22c55e');
    expect(html).toContain('<img class="thumb" src="data:image/png;base64,AAAA"');
    expect(html).toContain('<code>sample-04</code> · cosine 0.281');
    expect(html).toContain('generated model');
    expect(html).not.toMatch(/src="http/); // nothing fetched when the page is opened
  });
});

describe('the demo’s visual library', () => {
  it('indexes the sample thumbnails and answers the publisher’s CLIP keys from the index', async () => {
    const embedder = await createClipEmbedder({ modelPath: tinyClipModel(), device: 'cpu', dtype: 'fp32' });
    const sample = await loadSampleIndex();
    const assets = sample.thumbnails.map((t) => ({ id: t.chunkId, file: t.file, title: t.title }));
    const library = await buildLibraryIndex(embedder, assets);
    try {
      expect(assets).toHaveLength(8);
      const payload = { title: 'Spring campaign teaser', description: 'The red circle logo.' };
      const hook = clipHook(undefined, { library: { index: library, k: 3, namespace: LIBRARY_NAMESPACE } });
      const out = await hook(payload as never, AbortSignal.timeout(30_000));
      // Expected: the embedder's own cosines between the item's text and each thumbnail, best first.
      const [q] = await embedder.embedTexts([matchQuery(payload as never)]);
      const imgs = await embedder.embedImages(assets.map((a) => a.file));
      const want = assets
        .map((a, i) => ({ asset_id: a.id, score: cosineSimilarity(q!, imgs[i]!.embedding!) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 3);
      expect(out!.similarity!).toHaveLength(3);
      (out!.similarity as { asset_id: string; score: number }[]).forEach((s, i) => {
        expect(s.asset_id).toBe(want[i]!.asset_id);
        expect(s.score).toBeCloseTo(want[i]!.score, 4);
      });
      expect(out!.best_match).toMatchObject({ asset_id: want[0]!.asset_id, model: library.space!.model });
      expect(await hook({ title: '' } as never, AbortSignal.timeout(1_000))).toBeUndefined();
      const similar = await library.similar(assets[0]!.id, { k: 7 });
      expect(similar.map((m) => m.asset_id)).not.toContain(assets[0]!.id);
      expect(similar).toHaveLength(7);
    } finally {
      await library.close();
      await sample.close();
      await embedder.dispose();
    }
  }, 120_000);
});
