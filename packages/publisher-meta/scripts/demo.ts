/**
 * Demo: approval event → content.published.v1 payload → enrichment → envelope + Discord webhook body.
 *
 * Reads examples/approval-event.json (or the path given as the first argument). Nothing is sent anywhere; the
 * Jellyfin lookup result and the enrichment values are SAMPLE values written for this demo, not a real analysis.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildPublishedPayload,
  checkDiscordLimits,
  createEnvelope,
  discordOptionsFromEnv,
  formatPublishedEmbed,
  parseEnvelope,
  publishInputFromApproval,
  withEnrichment,
} from '../src/index';

const path = process.argv[2] ?? fileURLToPath(new URL('../examples/approval-event.json', import.meta.url));
const approval = parseEnvelope(JSON.parse(readFileSync(path, 'utf8')));

// What PMOVES's publisher would get back from Jellyfin after its library refresh — invented for the demo.
const input = publishInputFromApproval(approval.payload, {
  mediaLibraryPath: '/library/media',
  mediaLibraryPublicBaseUrl: 'https://media.pmoves.example/library',
  jellyfin: { item_id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', meta: { jellyfin_library: 'PMOVES Demo' } },
});
const published = buildPublishedPayload(input);

// SAMPLE enrichment, shaped like @pmoves/rerank's best match and @pmoves/qwen-audio's analyze() result.
const enriched = withEnrichment(published, {
  clip: {
    best_match: {
      asset_id: 'pmoves-demo/rainy-window-still',
      score: 0.291,
      model: 'SAMPLE (no CLIP model ran)',
    },
    similarity: [
      { asset_id: 'pmoves-demo/rainy-window-still', score: 0.291 },
      { asset_id: 'pmoves-demo/night-street-neon', score: 0.247 },
      { asset_id: 'pmoves-demo/coffee-steam', score: 0.212 },
    ],
  },
  audio: {
    summary:
      'SAMPLE text for the demo, not a real analysis: soft piano chords over steady rain, slow, no vocals.',
    tags: ['lofi', 'rain', 'piano', 'calm'],
    mood: 'calm',
    confidence: 0.74,
    model: 'SAMPLE (no audio model ran)',
    transcript: { text: 'SAMPLE: no words, only rain and piano.', language: null, segments: [] },
  },
});

const envelope = createEnvelope('content.published.v1', enriched, {
  source: 'publisher',
  parent_id: approval.id,
  correlation_id: approval.correlation_id,
});
const discord = formatPublishedEmbed(enriched, {
  ...discordOptionsFromEnv(process.env),
  jellyfinBaseUrl: process.env.JELLYFIN_URL ?? 'https://jellyfin.pmoves.example',
});
const problems = checkDiscordLimits(discord);

console.log(`# Approval event: ${path}`);
console.log(
  '# NOTE: the Jellyfin item and every enrichment value below are SAMPLE values, not a real analysis.\n',
);
console.log('## content.published.v1 envelope');
console.log(JSON.stringify(envelope, null, 2));
console.log('\n## Discord webhook body');
console.log(JSON.stringify(discord, null, 2));
console.log(`\n## Discord limits: ${problems.length === 0 ? 'all satisfied' : problems.join('; ')}`);
if (problems.length > 0) process.exitCode = 1;
