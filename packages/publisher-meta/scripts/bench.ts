/**
 * Micro-benchmark of the publisher-meta hot paths. Run: npm run bench -w @pmoves/publisher-meta
 * Prints operations per second and the median time per call for each case; figures go in BENCHMARKS.md.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildPublishedPayload,
  formatPublishedEmbed,
  parseEnvelope,
  publishInputFromApproval,
  withEnrichment,
  type PublishedPayload,
} from '../src/index';

function bench(name: string, fn: () => unknown, seconds = 2, warmup = 20): void {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  const total = times.reduce((a, b) => a + b, 0);
  console.log(
    `${name.padEnd(52)} ${String(Math.round((times.length / total) * 1000)).padStart(8)} ops/s   median ${median.toFixed(3)} ms`,
  );
}

const approval = parseEnvelope(
  JSON.parse(
    readFileSync(fileURLToPath(new URL('../examples/approval-event.json', import.meta.url)), 'utf8'),
  ),
);
const input = publishInputFromApproval(approval.payload, {
  mediaLibraryPublicBaseUrl: 'https://media.example',
});
const payload = buildPublishedPayload(input);
const enrichment = {
  clip: { best_match: { asset_id: 'asset-42', score: 0.29, model: 'clip' }, similarity: 0.26 },
  audio: {
    summary: 'Soft piano over rain.',
    tags: ['lofi', 'rain'],
    mood: 'calm',
    confidence: 0.74,
    model: 'qwen',
  },
  generatedAt: '2025-10-14T16:45:00.000Z',
};
const enriched = withEnrichment(payload, enrichment);

const huge = (c: string) => c.repeat(5000);
const worst: PublishedPayload = withEnrichment(
  {
    artifact_uri: `s3://b/${huge('k')}`,
    published_path: `/p/${huge('p')}`,
    namespace: huge('n'),
    title: huge('T'),
    summary: huge('S'),
    tags: Array.from({ length: 200 }, (_, i) => `tag${i}-${'g'.repeat(100)}`),
    duration: 12,
    jellyfin_item_id: huge('j'),
    jellyfin_public_url: `https://jf/${huge('u')}`,
    meta: {},
  },
  {
    clip: { best_match: { asset_id: huge('c'), score: 0.3 } },
    audio: { summary: huge('A'), tags: ['a'], mood: huge('m'), confidence: 0.5 },
    generatedAt: '2025-10-14T16:45:00.000Z',
  },
);
const emoji = '👨‍👩‍👧‍👦🇯🇵ø\u0301\u0302😀漢';
const emojiHeavy: PublishedPayload = {
  artifact_uri: 's3://b/k',
  published_path: '',
  title: emoji.repeat(200),
  summary: emoji.repeat(4000), // ~56 000 UTF-16 units of clusters
};

bench('buildPublishedPayload (sample approval)', () => buildPublishedPayload(input));
bench('withEnrichment (clip + audio)', () => withEnrichment(payload, enrichment));
bench('formatPublishedEmbed (sample, enriched)', () => formatPublishedEmbed(enriched));
bench('formatPublishedEmbed (every text 5000 chars, 200 tags)', () => formatPublishedEmbed(worst));
bench('formatPublishedEmbed (56k units of emoji/ZWJ/flags)', () => formatPublishedEmbed(emojiHeavy));
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// Why the formatter never hands long text to Intl.Segmenter in one piece: Node's segmenter is quadratic.
for (const units of [3_500, 14_000]) {
  const text = (emojiHeavy.summary as string).slice(0, units);
  bench(
    `reference: Intl.Segmenter, whole ${units}-unit string`,
    () => [...segmenter.segment(text)].length,
    2,
    1,
  );
}
