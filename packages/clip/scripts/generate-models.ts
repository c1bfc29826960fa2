// Writes CLIP-contract ONNX models with deterministic weights, for tests and benchmarks only.
// No trained CLIP weights can be downloaded here, so the loading code is exercised on graphs that
// have the real CLIP architecture (patch Conv, class token, pre-LN transformer, causal text mask,
// end-of-text pooling, projections) and the real file layouts (Xenova split / combined, Immich).
// Their outputs mean nothing: never present them as a real analysis.
//
//   npx tsx packages/clip/scripts/generate-models.ts --dims tiny|vit-b32 --out DIR
//     [--layouts xenova-split,xenova-combined,immich] [--dtypes fp32,fp16,q8]
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quantizeOnnxBytes } from '../src/quantize/quantize-model';
import { DT, GraphBuilder, createRng, type WeightMode } from './onnx-builder';

/** Architecture sizes of a generated CLIP. */
export interface ClipDims {
  imageSize: number;
  patch: number;
  visionWidth: number;
  visionLayers: number;
  visionHeads: number;
  textWidth: number;
  textLayers: number;
  textHeads: number;
  vocab: number;
  context: number;
  projection: number;
}

/** Tiny model for tests: real image size/vocab/context (so real tokenizer and crops fit), small widths. */
export const TINY_DIMS: ClipDims = {
  imageSize: 224,
  patch: 32,
  visionWidth: 32,
  visionLayers: 2,
  visionHeads: 2,
  textWidth: 32,
  textLayers: 2,
  textHeads: 2,
  vocab: 49408,
  context: 77,
  projection: 16,
};

/** The real ViT-B/32 sizes (openai/clip-vit-base-patch32), for benchmarks. */
export const VIT_B32_DIMS: ClipDims = {
  imageSize: 224,
  patch: 32,
  visionWidth: 768,
  visionLayers: 12,
  visionHeads: 12,
  textWidth: 512,
  textLayers: 12,
  textHeads: 8,
  vocab: 49408,
  context: 77,
  projection: 512,
};

/** File layouts the generator writes. */
export type Layout = 'xenova-split' | 'xenova-combined' | 'immich';

/** Generator options. */
export interface GenerateOptions {
  /** Output root; each layout gets a sub-directory. */
  outDir: string;
  dims: ClipDims;
  layouts?: Layout[];
  dtypes?: Dtype[];
  /** Directory with the real tokenizer.json / preprocessor_config.json / config.json. */
  fixturesDir?: string;
  seed?: number;
  /** Also write hidden-state-only graphs (no projection) under `<outDir>/hidden-only`. */
  hiddenOnly?: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Real CLIP tokenizer/config files shared with the project (read in place, never committed). */
export const DEFAULT_FIXTURES = resolve(here, '../../../../shared/fixtures/clip-vit-b32');
/** File variants written: the two weight modes of the builder, and q8. */
export type Dtype = WeightMode | 'q8';
const SUFFIX: Record<Dtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized' };

/**
 * A graph in one dtype. q8 is the fp32 graph quantized the way transformers.js's conversion script
 * writes the `_quantized` files of its CLIP repos (scripts/quantize.py with convert.py's defaults):
 * onnxruntime's dynamic quantization of MatMul, Conv and Gather, per-channel, `reduce_range` (7-bit
 * weights), uint8 weights when the graph has a Conv (the vision tower, the combined graph) and int8
 * otherwise (the text tower). With full-range int8 weights, CPUs without VNNI saturate
 * (bench/probes/u8s8-saturation.ts), which is why real exports reduce the range.
 */
function inDtype(build: (mode: WeightMode) => Uint8Array, dtype: Dtype, hasConv: boolean): Uint8Array {
  if (dtype !== 'q8') return build(dtype);
  return quantizeOnnxBytes(build('fp32'), {
    weights: hasConv ? 'uint8' : 'int8',
    perChannel: true,
    reduceRange: true,
    ops: ['MatMul', 'Conv', 'Gather'],
  }).bytes;
}

/** Deterministic weights: every tensor drawn from one seeded stream, in a fixed order. */
class Weights {
  private readonly rng: () => number;
  constructor(seed: number) {
    this.rng = createRng(seed);
  }
  /** Uniform(-a, a) with a = gain * sqrt(3 / fanIn): unit-ish activations through the stack. */
  matrix(rows: number, cols: number, gain = 1): Float32Array {
    const a = gain * Math.sqrt(3 / rows);
    const out = new Float32Array(rows * cols);
    for (let i = 0; i < out.length; i++) out[i] = (this.rng() * 2 - 1) * a;
    return out;
  }
  vector(n: number, scale: number, offset = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = offset + (this.rng() * 2 - 1) * scale;
    return out;
  }
}

interface Block {
  ln1: [Float32Array, Float32Array];
  q: [Float32Array, Float32Array];
  k: [Float32Array, Float32Array];
  v: [Float32Array, Float32Array];
  o: [Float32Array, Float32Array];
  ln2: [Float32Array, Float32Array];
  fc1: [Float32Array, Float32Array];
  fc2: [Float32Array, Float32Array];
}

function makeBlock(w: Weights, width: number): Block {
  const mlp = width * 4;
  const ln = (): [Float32Array, Float32Array] => [w.vector(width, 0.1, 1), w.vector(width, 0.05)];
  const lin = (i: number, o: number): [Float32Array, Float32Array] => [w.matrix(i, o), w.vector(o, 0.02)];
  return {
    ln1: ln(),
    q: lin(width, width),
    k: lin(width, width),
    v: lin(width, width),
    o: lin(width, width),
    ln2: ln(),
    fc1: lin(width, mlp),
    fc2: lin(mlp, width),
  };
}

/** All weights of one CLIP, generated once and shared by every layout and dtype. */
interface ClipWeights {
  patch: Float32Array;
  classEmb: Float32Array;
  visionPos: Float32Array;
  preLn: [Float32Array, Float32Array];
  visionBlocks: Block[];
  postLn: [Float32Array, Float32Array];
  visualProj: Float32Array;
  tokenEmb: Float32Array;
  textPos: Float32Array;
  textBlocks: Block[];
  finalLn: [Float32Array, Float32Array];
  textProj: Float32Array;
}

function makeWeights(d: ClipDims, seed: number): ClipWeights {
  const w = new Weights(seed);
  const grid = (d.imageSize / d.patch) ** 2;
  const vw = d.visionWidth;
  const tw = d.textWidth;
  return {
    patch: w.matrix(3 * d.patch * d.patch, vw),
    classEmb: w.vector(vw, 0.5),
    visionPos: w.vector((grid + 1) * vw, 0.5),
    preLn: [w.vector(vw, 0.1, 1), w.vector(vw, 0.05)],
    visionBlocks: Array.from({ length: d.visionLayers }, () => makeBlock(w, vw)),
    postLn: [w.vector(vw, 0.1, 1), w.vector(vw, 0.05)],
    visualProj: w.matrix(vw, d.projection),
    tokenEmb: w.vector(d.vocab * tw, 1),
    textPos: w.vector(d.context * tw, 0.5),
    textBlocks: Array.from({ length: d.textLayers }, () => makeBlock(w, tw)),
    finalLn: [w.vector(tw, 0.1, 1), w.vector(tw, 0.05)],
    textProj: w.matrix(tw, d.projection),
  };
}

function layerNorm(g: GraphBuilder, x: string, name: string, p: [Float32Array, Float32Array]): string {
  const n = p[0].length;
  return g.op1(
    'LayerNormalization',
    [x, g.weight(`${name}.weight`, [n], p[0]), g.weight(`${name}.bias`, [n], p[1])],
    {
      axis: -1,
      epsilon: 1e-5,
    },
  );
}

/** One pre-LN CLIP encoder layer: x + attn(LN(x)) then x + mlp(LN(x)); QuickGELU as in CLIP. */
function encoderLayer(
  g: GraphBuilder,
  x: string,
  name: string,
  b: Block,
  width: number,
  heads: number,
  mask?: string,
): string {
  const headDim = width / heads;
  const h = layerNorm(g, x, `${name}.layer_norm1`, b.ln1);
  const proj = (p: string, wb: [Float32Array, Float32Array]): string =>
    g.linear(h, `${name}.self_attn.${p}_proj`, wb[0], width, width, wb[1]);
  const q = g.op1('Mul', [proj('q', b.q), g.f32([headDim ** -0.5], [])]);
  const k = proj('k', b.k);
  const v = proj('v', b.v);
  const split = g.i64([0, 0, heads, headDim]);
  const qh = g.op1('Transpose', [g.op1('Reshape', [q, split])], { perm: [0, 2, 1, 3] });
  const kt = g.op1('Transpose', [g.op1('Reshape', [k, split])], { perm: [0, 2, 3, 1] });
  const vh = g.op1('Transpose', [g.op1('Reshape', [v, split])], { perm: [0, 2, 1, 3] });
  let scores = g.op1('MatMul', [qh, kt]);
  if (mask) scores = g.op1('Add', [scores, mask]);
  const probs = g.op1('Softmax', [scores], { axis: -1 });
  const ctx = g.op1('Transpose', [g.op1('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] });
  const merged = g.op1('Reshape', [ctx, g.i64([0, 0, width])]);
  const attn = g.linear(merged, `${name}.self_attn.out_proj`, b.o[0], width, width, b.o[1]);
  const x1 = g.op1('Add', [x, attn]);
  const h2 = layerNorm(g, x1, `${name}.layer_norm2`, b.ln2);
  const f1 = g.linear(h2, `${name}.mlp.fc1`, b.fc1[0], width, width * 4, b.fc1[1]);
  const act = g.op1('Mul', [f1, g.op1('Sigmoid', [g.op1('Mul', [f1, g.f32([1.702], [])])])]);
  const f2 = g.linear(act, `${name}.mlp.fc2`, b.fc2[0], width * 4, width, b.fc2[1]);
  return g.op1('Add', [x1, f2]);
}

/** Vision tower: returns [pooled projection, last hidden state]. */
function visionTower(
  g: GraphBuilder,
  pixels: string,
  d: ClipDims,
  w: ClipWeights,
  project: boolean,
): { embeds?: string; hidden: string; pooled: string } {
  const vw = d.visionWidth;
  const grid = (d.imageSize / d.patch) ** 2;
  // Patch embedding: Conv weight is [out, in, kh, kw]; the matrix was drawn as [in*kh*kw, out].
  const convW = new Float32Array(w.patch.length);
  const fan = 3 * d.patch * d.patch;
  for (let i = 0; i < fan; i++) for (let o = 0; o < vw; o++) convW[o * fan + i] = w.patch[i * vw + o]!;
  const conv = g.op1(
    'Conv',
    [pixels, g.weight('vision.patch_embedding.weight', [vw, 3, d.patch, d.patch], convW)],
    {
      kernel_shape: [d.patch, d.patch],
      strides: [d.patch, d.patch],
    },
  );
  const tokens = g.op1('Transpose', [g.op1('Reshape', [conv, g.i64([0, vw, -1])])], { perm: [0, 2, 1] });
  const batch = g.op1('Shape', [pixels], { start: 0, end: 1 });
  const clsShape = g.op1('Concat', [batch, g.i64([1, vw])], { axis: 0 });
  const cls = g.op1('Expand', [g.weight('vision.class_embedding', [1, 1, vw], w.classEmb), clsShape]);
  let x = g.op1('Concat', [cls, tokens], { axis: 1 });
  x = g.op1('Add', [x, g.weight('vision.position_embedding', [grid + 1, vw], w.visionPos)]);
  x = layerNorm(g, x, 'vision.pre_layrnorm', w.preLn);
  w.visionBlocks.forEach((b, i) => {
    x = encoderLayer(g, x, `vision.layers.${i}`, b, vw, d.visionHeads);
  });
  const first = g.op1('Gather', [x, g.i64([0], [])], { axis: 1 });
  const pooled = layerNorm(g, first, 'vision.post_layernorm', w.postLn);
  const embeds = project ? g.linear(pooled, 'visual_projection', w.visualProj, vw, d.projection) : undefined;
  return { embeds, hidden: x, pooled };
}

/** Text tower with the causal mask and end-of-text pooling (ArgMax over ids, as HF CLIP does). */
function textTower(
  g: GraphBuilder,
  ids: string,
  d: ClipDims,
  w: ClipWeights,
  project: boolean,
  attentionMask?: string,
): { embeds?: string; hidden: string; pooled: string } {
  const tw = d.textWidth;
  const ids64 = g.op1('Cast', [ids], { to: DT.INT64 });
  const emb = g.gather('text.token_embedding', [d.vocab, tw], w.tokenEmb, ids64);
  const seq = g.op1('Shape', [ids], { start: 1, end: 2 });
  const pos = g.op1('Slice', [
    g.weight('text.position_embedding', [d.context, tw], w.textPos),
    g.i64([0]),
    seq,
    g.i64([0]),
  ]);
  let x = g.op1('Add', [emb, pos]);
  const causal = new Float32Array(d.context * d.context);
  for (let r = 0; r < d.context; r++)
    for (let c = r + 1; c < d.context; c++) causal[r * d.context + c] = -1e9;
  let mask = g.op1('Slice', [
    g.f32(causal, [d.context, d.context]),
    g.i64([0, 0]),
    g.op1('Concat', [seq, seq], { axis: 0 }),
    g.i64([0, 1]),
  ]);
  if (attentionMask) {
    const keep = g.op1('Cast', [attentionMask], { to: DT.FLOAT });
    const pad = g.op1('Mul', [g.op1('Sub', [g.f32([1], []), keep]), g.f32([-1e9], [])]);
    mask = g.op1('Add', [mask, g.op1('Unsqueeze', [pad, g.i64([1, 2])])]);
  }
  w.textBlocks.forEach((b, i) => {
    x = encoderLayer(g, x, `text.layers.${i}`, b, tw, d.textHeads, mask);
  });
  x = layerNorm(g, x, 'text.final_layer_norm', w.finalLn);
  // Pool the end-of-text position: argmax over ids (EOT has the largest id; first one wins ties).
  const eot = g.op1('ArgMax', [g.op1('Cast', [ids], { to: DT.FLOAT })], { axis: 1, keepdims: 0 });
  const batchScalar = g.op1('Squeeze', [g.op1('Shape', [ids], { start: 0, end: 1 })]);
  const rows = g.op1('Range', [g.i64([0], []), batchScalar, g.i64([1], [])]);
  const flatIdx = g.op1('Add', [g.op1('Mul', [rows, g.op1('Squeeze', [seq])]), eot]);
  const pooled = g.op1('Gather', [g.op1('Reshape', [x, g.i64([-1, tw])]), flatIdx], { axis: 0 });
  const embeds = project ? g.linear(pooled, 'text_projection', w.textProj, tw, d.projection) : undefined;
  return { embeds, hidden: x, pooled };
}

function l2(g: GraphBuilder, x: string): string {
  return g.op1('Div', [x, g.op1('ReduceL2', [x], { axes: [-1], keepdims: 1 })]);
}

function visionModel(
  d: ClipDims,
  w: ClipWeights,
  mode: WeightMode,
  kind: 'xenova' | 'immich' | 'hidden',
): Uint8Array {
  const g = new GraphBuilder(mode);
  const s = d.imageSize;
  const batch = kind === 'immich' ? 1 : 'batch_size';
  const px = g.input(kind === 'immich' ? 'image' : 'pixel_values', DT.FLOAT, [batch, 3, s, s]);
  const t = visionTower(g, px, d, w, kind !== 'hidden');
  if (kind === 'immich') {
    g.named(t.embeds!, 'embedding');
    g.output('embedding', DT.FLOAT, [1, d.projection]);
  } else if (kind === 'xenova') {
    g.named(t.embeds!, 'image_embeds');
    g.named(t.hidden, 'last_hidden_state');
    g.output('image_embeds', DT.FLOAT, [batch, d.projection]);
    g.output('last_hidden_state', DT.FLOAT, [batch, (s / d.patch) ** 2 + 1, d.visionWidth]);
  } else {
    g.named(t.hidden, 'last_hidden_state');
    g.named(t.pooled, 'pooler_output');
    g.output('last_hidden_state', DT.FLOAT, [batch, (s / d.patch) ** 2 + 1, d.visionWidth]);
    g.output('pooler_output', DT.FLOAT, [batch, d.visionWidth]);
  }
  return g.encode('clip_vision');
}

function textModel(
  d: ClipDims,
  w: ClipWeights,
  mode: WeightMode,
  kind: 'xenova' | 'immich' | 'hidden',
): Uint8Array {
  const g = new GraphBuilder(mode);
  const immich = kind === 'immich';
  const batch = immich ? 1 : 'batch_size';
  const seq = immich ? d.context : 'sequence_length';
  const ids = g.input(immich ? 'text' : 'input_ids', immich ? DT.INT32 : DT.INT64, [batch, seq]);
  const t = textTower(g, ids, d, w, kind !== 'hidden');
  if (immich) {
    g.named(t.embeds!, 'embedding');
    g.output('embedding', DT.FLOAT, [1, d.projection]);
  } else if (kind === 'xenova') {
    g.named(t.embeds!, 'text_embeds');
    g.named(t.hidden, 'last_hidden_state');
    g.output('text_embeds', DT.FLOAT, [batch, d.projection]);
    g.output('last_hidden_state', DT.FLOAT, [batch, seq, d.textWidth]);
  } else {
    g.named(t.hidden, 'last_hidden_state');
    g.named(t.pooled, 'pooler_output');
    g.output('last_hidden_state', DT.FLOAT, [batch, seq, d.textWidth]);
    g.output('pooler_output', DT.FLOAT, [batch, d.textWidth]);
  }
  return g.encode('clip_text');
}

/** HF CLIPModel export: both towers, normalised embeds and logits, as Xenova's combined model.onnx. */
function combinedModel(d: ClipDims, w: ClipWeights, mode: WeightMode): Uint8Array {
  const g = new GraphBuilder(mode);
  const s = d.imageSize;
  const ids = g.input('input_ids', DT.INT64, ['text_batch_size', 'sequence_length']);
  const px = g.input('pixel_values', DT.FLOAT, ['image_batch_size', 3, s, s]);
  const am = g.input('attention_mask', DT.INT64, ['text_batch_size', 'sequence_length']);
  const text = l2(g, textTower(g, ids, d, w, true, am).embeds!);
  const image = l2(g, visionTower(g, px, d, w, true).embeds!);
  const logits = g.op1('Mul', [
    g.op1('MatMul', [image, g.op1('Transpose', [text], { perm: [1, 0] })]),
    g.f32([100], []),
  ]);
  g.named(logits, 'logits_per_image');
  g.named(g.op1('Transpose', [logits], { perm: [1, 0] }), 'logits_per_text');
  g.named(text, 'text_embeds');
  g.named(image, 'image_embeds');
  g.output('logits_per_image', DT.FLOAT, ['image_batch_size', 'text_batch_size']);
  g.output('logits_per_text', DT.FLOAT, ['text_batch_size', 'image_batch_size']);
  g.output('text_embeds', DT.FLOAT, ['text_batch_size', d.projection]);
  g.output('image_embeds', DT.FLOAT, ['image_batch_size', d.projection]);
  return g.encode('clip');
}

/** config.json: the real one with the architecture sizes replaced by the generated ones. */
function hfConfig(fixturesDir: string, d: ClipDims): string {
  const cfg = JSON.parse(readFileSync(join(fixturesDir, 'config.json'), 'utf8'));
  cfg.projection_dim = d.projection;
  Object.assign(cfg.text_config, {
    hidden_size: d.textWidth,
    intermediate_size: d.textWidth * 4,
    num_attention_heads: d.textHeads,
    num_hidden_layers: d.textLayers,
    projection_dim: d.projection,
  });
  Object.assign(cfg.vision_config, {
    hidden_size: d.visionWidth,
    intermediate_size: d.visionWidth * 4,
    num_attention_heads: d.visionHeads,
    num_hidden_layers: d.visionLayers,
    projection_dim: d.projection,
  });
  return JSON.stringify(cfg, null, 2);
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function copyHfFiles(fixturesDir: string, dir: string, d: ClipDims): void {
  mkdirSync(dir, { recursive: true });
  for (const f of [
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'preprocessor_config.json',
  ]) {
    copyFileSync(join(fixturesDir, f), join(dir, f));
    chmodSync(join(dir, f), 0o644);
  }
  writeAtomic(join(dir, 'config.json'), hfConfig(fixturesDir, d));
}

/** Write the requested layouts × dtypes under `outDir`; returns the directory of each layout. */
export function generateModels(opts: GenerateOptions): Record<Layout, string> {
  const d = opts.dims;
  const layouts = opts.layouts ?? ['xenova-split', 'xenova-combined', 'immich'];
  const dtypes = opts.dtypes ?? ['fp32', 'fp16', 'q8'];
  const fixtures = opts.fixturesDir ?? DEFAULT_FIXTURES;
  if (!existsSync(join(fixtures, 'tokenizer.json'))) throw new Error(`no tokenizer.json in ${fixtures}`);
  const w = makeWeights(d, opts.seed ?? 1234);
  const dirs = {} as Record<Layout, string>;
  for (const layout of layouts) {
    const dir = join(opts.outDir, layout);
    dirs[layout] = dir;
    if (layout === 'immich') {
      const pre = JSON.parse(readFileSync(join(fixtures, 'preprocessor_config.json'), 'utf8'));
      writeAtomic(
        join(dir, 'config.json'),
        JSON.stringify({
          embed_dim: d.projection,
          vision_cfg: {
            image_size: d.imageSize,
            layers: d.visionLayers,
            width: d.visionWidth,
            patch_size: d.patch,
          },
          text_cfg: {
            context_length: d.context,
            vocab_size: d.vocab,
            width: d.textWidth,
            heads: d.textHeads,
            layers: d.textLayers,
          },
        }),
      );
      writeAtomic(
        join(dir, 'visual', 'preprocess_cfg.json'),
        JSON.stringify({
          size: [d.imageSize, d.imageSize],
          mode: 'RGB',
          mean: pre.image_mean,
          std: pre.image_std,
          interpolation: 'bicubic',
          resize_mode: 'shortest',
          fill_color: 0,
        }),
      );
      for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
        mkdirSync(join(dir, 'textual'), { recursive: true });
        copyFileSync(join(fixtures, f), join(dir, 'textual', f));
        chmodSync(join(dir, 'textual', f), 0o644);
      }
      for (const dt of dtypes) {
        const vision = inDtype((m) => visionModel(d, w, m, 'immich'), dt, true);
        writeAtomic(join(dir, 'visual', `model${SUFFIX[dt]}.onnx`), vision);
        const text = inDtype((m) => textModel(d, w, m, 'immich'), dt, false);
        writeAtomic(join(dir, 'textual', `model${SUFFIX[dt]}.onnx`), text);
      }
      continue;
    }
    copyHfFiles(fixtures, dir, d);
    for (const dt of dtypes) {
      if (layout === 'xenova-split') {
        const vision = inDtype((m) => visionModel(d, w, m, 'xenova'), dt, true);
        writeAtomic(join(dir, 'onnx', `vision_model${SUFFIX[dt]}.onnx`), vision);
        const text = inDtype((m) => textModel(d, w, m, 'xenova'), dt, false);
        writeAtomic(join(dir, 'onnx', `text_model${SUFFIX[dt]}.onnx`), text);
      } else {
        writeAtomic(
          join(dir, 'onnx', `model${SUFFIX[dt]}.onnx`),
          inDtype((m) => combinedModel(d, w, m), dt, true),
        );
      }
    }
  }
  if (opts.hiddenOnly) {
    const dir = join(opts.outDir, 'hidden-only');
    copyHfFiles(fixtures, dir, d);
    writeAtomic(join(dir, 'onnx', 'vision_model.onnx'), visionModel(d, w, 'fp32', 'hidden'));
    writeAtomic(join(dir, 'onnx', 'text_model.onnx'), textModel(d, w, 'fp32', 'hidden'));
  }
  return dirs;
}

/** Generate once into `outDir` (kept across runs, keyed by a stamp); safe when several processes race. */
export function ensureModels(opts: GenerateOptions): string {
  const stamp = JSON.stringify({ v: 3, ...opts, outDir: undefined });
  const stampFile = join(opts.outDir, 'stamp.json');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return opts.outDir;
  const tmp = `${opts.outDir}.${process.pid}.${Date.now()}`;
  generateModels({ ...opts, outDir: tmp });
  writeFileSync(join(tmp, 'stamp.json'), stamp);
  rmSync(opts.outDir, { recursive: true, force: true });
  try {
    renameSync(tmp, opts.outDir);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
  return opts.outDir;
}

function main(argv: string[]): void {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dimsName = arg('dims') ?? 'tiny';
  const dims = dimsName === 'vit-b32' ? VIT_B32_DIMS : dimsName === 'tiny' ? TINY_DIMS : undefined;
  if (!dims) throw new Error(`--dims must be tiny or vit-b32, got ${dimsName}`);
  const outDir = resolve(arg('out') ?? join(here, '..', '.models', dimsName));
  const started = Date.now();
  const dirs = generateModels({
    outDir,
    dims,
    layouts: arg('layouts')?.split(',') as Layout[] | undefined,
    dtypes: arg('dtypes')?.split(',') as Dtype[] | undefined,
    hiddenOnly: argv.includes('--hidden-only'),
  });
  console.log(`generated ${JSON.stringify(dirs)} in ${Date.now() - started} ms`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main(process.argv.slice(2));
