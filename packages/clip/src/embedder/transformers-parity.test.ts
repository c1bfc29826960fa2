// Parity with transformers.js (dev dependency only) on the same generated model files and the same
// input tensors: it must compute the same embeddings and the same token ids, except that on texts
// longer than 77 tokens it drops the end-of-text token where we keep it (OpenAI clip.tokenize).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  Tensor,
  env,
} from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClipEmbedder, type LocalClipEmbedder } from '../index';
import { IMAGE_FIXTURES, LAYOUT_DIR, TINY_MODELS } from '../../test/models';

env.allowRemoteModels = false;
env.localModelPath = `${TINY_MODELS}/`;

function normalised(data: ArrayLike<number>, from: number, dims: number): Float32Array {
  const row = Float32Array.from({ length: dims }, (_, i) => data[from + i]!);
  const n = Math.hypot(...row);
  return row.map((v) => v / n);
}

let ours: LocalClipEmbedder;
beforeAll(async () => {
  ours = await createClipEmbedder({ modelPath: LAYOUT_DIR.split, dtype: 'fp32', device: 'cpu' });
});
afterAll(async () => {
  await ours.dispose();
});

describe('parity with transformers.js on the same files', () => {
  it('gives identical image embeddings for the same input tensor', async () => {
    const model = await CLIPVisionModelWithProjection.from_pretrained('xenova-split', {
      dtype: 'fp32',
      device: 'cpu',
    });
    try {
      const files = ['chelsea.jpg', 'rocket.jpg', 'camera.png'];
      const tensors = await Promise.all(
        files.map((f) => ours.preprocess(readFileSync(join(IMAGE_FIXTURES, f)))),
      );
      const batch = new Float32Array(tensors.length * tensors[0]!.length);
      tensors.forEach((t, i) => batch.set(t, i * t.length));
      const out = await model({ pixel_values: new Tensor('float32', batch, [files.length, 3, 224, 224]) });
      const theirs = out.image_embeds as Tensor;
      const mine = await ours.embedImages(files.map((f) => readFileSync(join(IMAGE_FIXTURES, f))));
      files.forEach((_, i) => {
        const t = normalised(theirs.data as Float32Array, i * 16, 16);
        const m = mine[i]!.embedding!;
        for (let k = 0; k < 16; k++) expect(Math.abs(m[k]! - t[k]!)).toBeLessThan(1e-6);
      });
    } finally {
      await model.dispose();
    }
  });

  it('tokenizes short texts to identical ids and gives identical text embeddings', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained('xenova-split');
    const model = await CLIPTextModelWithProjection.from_pretrained('xenova-split', {
      dtype: 'fp32',
      device: 'cpu',
    });
    try {
      const texts = ['a photo of a cat', 'Two DOGS, playing in the snow!', 'naïve café — über 42°C', ''];
      const enc = tokenizer(texts, { padding: true, truncation: true });
      const rows = enc.input_ids.tolist() as bigint[][];
      const masks = enc.attention_mask.tolist() as bigint[][];
      for (let i = 0; i < texts.length; i++) {
        const theirs = rows[i]!.filter((_, k) => masks[i]![k] === 1n).map(Number);
        expect(await ours.tokenize(texts[i]!)).toEqual(theirs);
      }
      const out = await model(enc);
      const theirs = out.text_embeds as Tensor;
      const mine = await ours.embedTexts(texts);
      texts.forEach((_, i) => {
        const t = normalised(theirs.data as Float32Array, i * 16, 16);
        for (let k = 0; k < 16; k++) expect(Math.abs(mine[i]![k]! - t[k]!)).toBeLessThan(1e-6);
      });
    } finally {
      await model.dispose();
    }
  });

  it('differs on texts over 77 tokens only by the end-of-text token we keep', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained('xenova-split');
    for (const text of ['a photo of a cat '.repeat(25), 'lorem ipsum dolor sit amet, '.repeat(20)]) {
      const theirs = (tokenizer(text, { truncation: true }).input_ids.tolist() as bigint[][])[0]!.map(Number);
      const mine = await ours.tokenize(text);
      expect(theirs).toHaveLength(77);
      expect(mine).toHaveLength(77);
      expect(mine.slice(0, 76)).toEqual(theirs.slice(0, 76));
      expect(mine[76]).toBe(49407);
      expect(theirs[76]).not.toBe(49407);
    }
  });
});
