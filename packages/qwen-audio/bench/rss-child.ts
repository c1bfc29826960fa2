// Child process for the RSS measurement: streams the full decode of one file through the feature
// extractor (the worst case: every sample decoded and analysed), then reports peak RSS.
import { streamPcm } from '../src/audio/decode';
import { QWEN_SAMPLE_RATE, resolveFfmpegPath } from '../src/audio/ffmpeg';
import { FeatureAccumulator } from '../src/features/extract';

const file = process.argv[2]!;
const ffmpeg = await resolveFfmpegPath();
const acc = new FeatureAccumulator(QWEN_SAMPLE_RATE);
let samples = 0;
const t0 = performance.now();
for await (const block of streamPcm(file, { ffmpeg })) {
  samples += block.length;
  acc.push(block);
}
const features = acc.finish(samples / QWEN_SAMPLE_RATE, 'full');
process.stdout.write(
  JSON.stringify({
    seconds: samples / QWEN_SAMPLE_RATE,
    ms: performance.now() - t0,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    tempo: features.tempo,
  }),
);
