// Child-process helper of the memory-after-burst test (src/embedder/memory.test.ts): one embedder,
// `CALLS` concurrent embedImages calls of `IMAGES` small JPEGs each, then the documented idle wait;
// prints resident memory before, at the end of the burst and after the wait, in MiB, as JSON.
//   node --import tsx test/burst-rss.ts <modelDir> [calls] [images] [waitMs]
import sharp from 'sharp';
import { createClipEmbedder } from '../src/index';

const [modelPath, calls = '60', images = '32', waitMs = '5000'] = process.argv.slice(2);
const rss = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);
const jpeg = await sharp({ create: { width: 96, height: 72, channels: 3, background: '#4a7' } })
  .jpeg()
  .toBuffer();
const embedder = await createClipEmbedder({
  modelPath: modelPath!,
  dtype: 'fp32',
  device: 'cpu',
  modalities: ['image'],
  threads: { intra: 1 },
});
const batch = Array.from({ length: Number(images) }, () => jpeg);
await embedder.embedImages(batch); // warm: sessions, workers, one batch buffer
const before = rss();
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);
const results = await Promise.all(Array.from({ length: Number(calls) }, () => embedder.embedImages(batch)));
const failed = results.flat().filter((r) => r.error).length;
const end = rss();
await new Promise((r) => setTimeout(r, Number(waitMs)));
clearInterval(sampler);
const after = rss();
console.log(JSON.stringify({ before, peak, end, after, failed }));
await embedder.dispose();
