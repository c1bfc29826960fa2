// quantizeModel: write a dynamically quantized variant next to each fp32 file of a model directory
// (`onnx/vision_model_uint8.onnx` beside `onnx/vision_model.onnx`, …), which the embedder then
// prefers on CPU.
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ClipError } from '../errors';
import { detectLayout, findVariant, type Role } from '../model/sources';
import { autoWeightType, cpuInt8Support, type CpuInt8Support } from '../model/cpu';
import { decodeModel, encodeModel } from './onnx-model';
import {
  quantizeGraph,
  type QuantizeGraphOptions,
  type QuantizeGraphReport,
  type WeightType,
} from './quantize-graph';

/** Options of {@link quantizeModel}. */
export interface QuantizeModelOptions {
  /** A model directory (Xenova split or combined, Immich) holding the fp32 files. */
  modelDir: string;
  /** Weight type; `auto` (default): int8 where the CPU has VNNI or AMX, uint8 otherwise. */
  weights?: WeightType | 'auto';
  /** One scale per output column of each weight. Default true. */
  perChannel?: boolean;
  /** 7-bit weights; default true for int8 (exact on CPUs without VNNI), false for uint8. */
  reduceRange?: boolean;
  /** The CPU `auto` decides for (default: this machine's). */
  cpu?: CpuInt8Support;
  /** Called before and after each file. */
  onProgress?: (event: QuantizeProgress) => void;
}

/** Progress of {@link quantizeModel}. */
export type QuantizeProgress =
  | { kind: 'start'; input: string; index: number; total: number }
  | { kind: 'done'; file: QuantizedFile; index: number; total: number };

/** One written file. */
export interface QuantizedFile {
  /** The fp32 file read. */
  input: string;
  /** The quantized file written. */
  output: string;
  /** Sizes in bytes. */
  inputBytes: number;
  outputBytes: number;
  /** What was quantized and skipped. */
  report: QuantizeGraphReport;
}

/** What {@link quantizeModel} did. */
export interface QuantizeModelResult {
  /** The weight type used. */
  weights: WeightType;
  /** Why (for `auto`: what the CPU has). */
  reason: string;
  files: QuantizedFile[];
}

const ROLES: Role[] = ['vision', 'text', 'combined'];

/** The file name a weight type is written under (`vision_model.onnx` → `vision_model_uint8.onnx`). */
export function quantizedName(fp32File: string, weights: WeightType): string {
  return join(dirname(fp32File), basename(fp32File).replace(/\.onnx$/, `_${weights}.onnx`));
}

/** Quantize one ONNX file's bytes (see {@link quantizeGraph}); `label` names it in errors. */
export function quantizeOnnxBytes(
  bytes: Uint8Array,
  options: QuantizeGraphOptions,
  label = 'model',
): { bytes: Uint8Array; report: QuantizeGraphReport } {
  const model = decodeModel(bytes, label);
  const report = quantizeGraph(model, options);
  const stamp = JSON.stringify({ ...report.settings, tool: '@pmoves/clip quantizeModel' });
  model.metadataProps = [
    ...(model.metadataProps ?? []).filter((p) => p.key !== 'pmoves.quantization'),
    { key: 'pmoves.quantization', value: stamp },
  ];
  return { bytes: encodeModel(model), report };
}

/**
 * Write an 8-bit dynamically quantized variant of every fp32 file of a model directory, each next to
 * its source as `<name>_<int8|uint8>.onnx` (replaced atomically).
 *
 * @throws ClipError `not-found` (no model directory or no fp32 file), `model` (a file is not ONNX),
 *   `unsupported` (opset below 11, external weight data)
 */
export async function quantizeModel(options: QuantizeModelOptions): Promise<QuantizeModelResult> {
  const dir = resolve(options.modelDir);
  const layout = detectLayout(dir);
  if (!layout) throw new ClipError('not-found', `no CLIP model files in ${dir}`);
  const inputs = ROLES.map((role) => findVariant(dir, layout, role, 'fp32')).filter((f): f is string => !!f);
  if (inputs.length === 0)
    throw new ClipError('not-found', `${dir} (${layout}) has no fp32 .onnx file to quantize`);
  const choice =
    options.weights === undefined || options.weights === 'auto'
      ? autoWeightType(options.cpu ?? cpuInt8Support())
      : { weights: options.weights, reason: 'as requested' };
  const files: QuantizedFile[] = [];
  for (const [index, input] of inputs.entries()) {
    options.onProgress?.({ kind: 'start', input, index, total: inputs.length });
    const source = await readFile(input);
    const { bytes, report } = quantizeOnnxBytes(
      source,
      {
        weights: choice.weights,
        ...(options.perChannel !== undefined && { perChannel: options.perChannel }),
        ...(options.reduceRange !== undefined && { reduceRange: options.reduceRange }),
      },
      input,
    );
    const output = quantizedName(input, choice.weights);
    const tmp = `${output}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, output);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const file = { input, output, inputBytes: source.length, outputBytes: (await stat(output)).size, report };
    files.push(file);
    options.onProgress?.({ kind: 'done', file, index, total: inputs.length });
  }
  return { weights: choice.weights, reason: choice.reason, files };
}
