/**
 * Micro-benchmark of the publisher-meta hot paths. Run: npm run bench -w @pmoves/publisher-meta
 * Prints the median time per call for each case; figures go in BENCHMARKS.md.
 *
 * A/B: `PUBLISHER_META_BENCH_BASE=/path/to/other/src/index.ts` loads a second copy of the package (e.g. an older
 * commit's `src/`, kept under `.bench/` so its imports resolve) and measures both in interleaved rounds, printing
 * the ratio; a case the other copy refuses is shown as `refused`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ours from '../src/index';
import type { PublishedPayload } from '../src/index';

type Api = typeof ours;
const basePath = process.env.PUBLISHER_META_BENCH_BASE;
const base: Api | undefined = basePath ? ((await import(pathToFileURL(basePath).href)) as Api) : undefined;
const { buildPublishedPayload, parseEnvelope, publishInputFromApproval, withEnrichment } = ours;

/** Median ms per call of `fn` over `rounds` rounds of `seconds / rounds` each, or undefined when it throws. */
function measure(fn: () => unknown, ms: number): number[] | undefined {
  try {
    fn();
  } catch {
    return undefined;
  }
  const times: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return times;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Measures `make(api)` for ours (and the base copy), interleaved in 8 rounds, and prints medians and the ratio. */
function bench(name: string, make: (api: Api) => () => unknown, seconds = 2, warmup = 20): void {
  const fns = [make(ours), base ? make(base) : undefined];
  for (const fn of fns)
    for (let i = 0; fn && i < warmup; i++) {
      try {
        fn();
      } catch {
        break;
      }
    }
  const samples: (number[] | undefined)[] = fns.map(() => []);
  for (let round = 0; round < 8; round++) {
    fns.forEach((fn, i) => {
      if (!fn || !samples[i]) return;
      const got = measure(fn, (seconds * 1000) / 8);
      if (got) samples[i]?.push(...got);
      else samples[i] = undefined;
    });
  }
  const [a, b] = samples.map((x) => (x && x.length ? median(x) : undefined));
  const show = (v: number | undefined) => (v === undefined ? 'refused' : `${v.toFixed(3)} ms`);
  const ratio = a !== undefined && b !== undefined ? `   ratio ${(a / b).toFixed(2)}` : '';
  console.log(
    `${name.padEnd(60)} ours ${show(a).padStart(10)}${base ? `   base ${show(b).padStart(10)}${ratio}` : ''}`,
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

// What Python producers send: None as null in optional keys.
const pythonNulls = {
  ...enriched,
  description: null,
  thumbnail_url: null,
  meta: {
    ...enriched.meta,
    audio_mood: null,
    clip_similarity: null,
    clip_best_match: { asset_id: 'a', score: 0.3, model: null },
  },
};
const lone = '\uD83D';
const surrogates: PublishedPayload = {
  ...enriched,
  title: `Rain${lone}`.repeat(40),
  summary: `a${lone}b\uDE00`.repeat(400),
  tags: Array.from({ length: 20 }, (_, i) => `t${i}${lone}`),
};
const similarAndTranscript = withEnrichment(payload, {
  clip: {
    best_match: { asset_id: 'asset-42', score: 0.29 },
    similarity: Array.from({ length: 100 }, (_, i) => ({
      asset_id: `library/asset-${i}`,
      score: 0.9 - i / 200,
    })),
  },
  audio: { ...enrichment.audio, transcript: { text: 'words '.repeat(400), language: 'en', segments: [] } },
  generatedAt: '2025-10-14T16:45:00.000Z',
});
const deep = { ...payload, meta: { deep: JSON.parse('{"a":'.repeat(60) + '{}' + '}'.repeat(60)) } };

bench('buildPublishedPayload (sample approval)', (api) => () => api.buildPublishedPayload(input));
bench('withEnrichment (clip + audio)', (api) => () => api.withEnrichment(payload, enrichment));
bench('formatPublishedEmbed (sample, enriched)', (api) => () => api.formatPublishedEmbed(enriched));
bench(
  'formatPublishedEmbed (Python nulls in optional keys)',
  (api) => () => api.formatPublishedEmbed(pythonNulls as never),
);
bench(
  'formatPublishedEmbed (lone surrogates in title, summary, tags)',
  (api) => () => api.formatPublishedEmbed(surrogates),
);
bench(
  'formatPublishedEmbed (100 similar assets + transcript excerpt)',
  (api) => () => api.formatPublishedEmbed(similarAndTranscript),
);
bench(
  'parseEnvelope (payload meta nested 62 deep)',
  (api) => () => api.parseEnvelope({ ...approval, payload: deep }),
);
bench(
  'formatPublishedEmbed (every text 5000 chars, 200 tags)',
  (api) => () => api.formatPublishedEmbed(worst),
);
bench(
  'formatPublishedEmbed (56k units of emoji/ZWJ/flags)',
  (api) => () => api.formatPublishedEmbed(emojiHeavy),
);
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// Why the formatter never hands long text to Intl.Segmenter in one piece: Node's segmenter is quadratic.
for (const units of [3_500, 14_000]) {
  const text = (emojiHeavy.summary as string).slice(0, units);
  bench(
    `reference: Intl.Segmenter, whole ${units}-unit string`,
    () => () => [...segmenter.segment(text)].length,
    2,
    1,
  );
}
