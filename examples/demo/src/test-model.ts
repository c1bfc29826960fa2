// The demo's fallback CLIP: the generated test model (packages/clip/scripts/generate-models.ts:
// the real CLIP architecture and tensor contracts, deterministic weights) with a tokenizer made
// here. No trained weights or tokenizer ship with this repository and none can be downloaded in
// the demo, so this model's scores are MEANINGLESS: it proves the wiring, not the ranking.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureModels, TINY_DIMS } from '../../../packages/clip/scripts/generate-models';

const BOS = '<|startoftext|>';
const EOT = '<|endoftext|>';

/** GPT-2's byte → printable character table, which CLIP's byte-level BPE uses. */
function bytesToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(keep.includes(b) ? b : 256 + extra++);
  return table;
}

/**
 * A CLIP-shaped tokenizer.json with no merges: ids 0–255 are the bytes, 256–511 the bytes ending a
 * word (`</w>`), 49406/49407 start and end of text — the same id layout as OpenAI's CLIP
 * vocabulary, so the generated model's end-of-text pooling (highest id) finds the right token.
 */
export function syntheticTokenizerJson(): object {
  const chars = bytesToUnicode();
  const vocab: Record<string, number> = {};
  chars.forEach((c, i) => (vocab[c] = i));
  chars.forEach((c, i) => (vocab[`${c}</w>`] = 256 + i));
  vocab[BOS] = 49406;
  vocab[EOT] = 49407;
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(49406, BOS), special(49407, EOT)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [EOT, 49407],
      cls: [BOS, 49406],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: EOT,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
}

/** Writes the files generate-models.ts takes from a real model (tokenizer and configs). */
function writeFixtures(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(syntheticTokenizerJson()));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ bos_token: BOS, eos_token: EOT, pad_token: EOT, unk_token: EOT, model_max_length: 77 }),
  );
  writeFileSync(
    join(dir, 'special_tokens_map.json'),
    JSON.stringify({ bos_token: BOS, eos_token: EOT, pad_token: EOT, unk_token: EOT }),
  );
  // CLIPImageProcessor's settings for ViT-B/32 (224 px, bicubic, centre crop, OpenAI mean/std).
  writeFileSync(
    join(dir, 'preprocessor_config.json'),
    JSON.stringify({
      crop_size: { height: 224, width: 224 },
      do_center_crop: true,
      do_convert_rgb: true,
      do_normalize: true,
      do_rescale: true,
      do_resize: true,
      image_mean: [0.48145466, 0.4578275, 0.40821073],
      image_std: [0.26862954, 0.26130258, 0.27577711],
      image_processor_type: 'CLIPImageProcessor',
      resample: 3,
      rescale_factor: 0.00392156862745098,
      size: { shortest_edge: 224 },
    }),
  );
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['CLIPModel'],
      model_type: 'clip',
      projection_dim: 512,
      text_config: { model_type: 'clip_text_model', max_position_embeddings: 77, vocab_size: 49408 },
      vision_config: { model_type: 'clip_vision_model', image_size: 224, patch_size: 32, num_channels: 3 },
    }),
  );
}

/** Generates (once; kept across runs under `cacheDir`) the test model; returns its directory. */
export function ensureTestModel(cacheDir: string): string {
  const fixturesDir = join(cacheDir, 'fixtures');
  writeFixtures(fixturesDir);
  const root = join(cacheDir, 'generated-test-clip-meaningless-scores');
  ensureModels({ outDir: root, dims: TINY_DIMS, fixturesDir, layouts: ['xenova-split'], dtypes: ['fp32'] });
  return join(root, 'xenova-split');
}
