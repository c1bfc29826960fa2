// Dynamic quantization of an ONNX graph, laid out as onnxruntime.quantization.quantize_dynamic
// writes it (QuantizationMode.IntegerOps): each quantized MatMul becomes
//   DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q, x_zp, W_zp) → Cast(float) → Mul(·, x_scale × W_scale)
// with the 8-bit weight stored in the file; activations are quantized per call (uint8, per tensor).
// Weight scales are per output column ("per channel") by default. The formulas follow onnxruntime's
// quant_utils (symmetric int8, asymmetric uint8, `reduce_range` = 7-bit weights, round half to even).
import { ClipError } from '../errors';
import {
  defaultOpset,
  dimsOf,
  ElemType,
  floatAttr,
  floatValues,
  intAttr,
  tensor,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './onnx-model';

/** 8-bit weight type: `int8` (symmetric) or `uint8` (asymmetric). Activations are always uint8. */
export type WeightType = 'int8' | 'uint8';

/** Operator types the quantizer can rewrite. */
export type QuantizableOp = 'MatMul' | 'Gemm' | 'Gather' | 'Conv';

/** How to quantize a graph. */
export interface QuantizeGraphOptions {
  /** Weight type of MatMul/Gemm (Gather tables are uint8, Conv weights uint8, as onnxruntime writes them). */
  weights: WeightType;
  /** One scale (and zero point) per output column of MatMul/Gemm weights. Default true. */
  perChannel?: boolean;
  /**
   * 7-bit weights (int8 in [-64, 64], uint8 in [0, 127]). Default true for int8: x86 CPUs without VNNI
   * multiply uint8 × int8 with an instruction whose pairwise sums saturate at 32767, which full-range
   * int8 weights overflow (bench/probes/u8s8-saturation.ts); false for uint8, whose kernels widen to
   * 16 bits first and never saturate.
   */
  reduceRange?: boolean;
  /** Operators to quantize. Default MatMul, Gemm and Gather. */
  ops?: readonly QuantizableOp[];
}

/** What was done to a graph. */
export interface QuantizeGraphReport {
  /** Nodes rewritten, by operator type. */
  quantized: Partial<Record<QuantizableOp, number>>;
  /** Nodes of a requested type left in float, with the reason. */
  skipped: { node: string; op: string; reason: string }[];
  /** The settings applied. */
  settings: Required<QuantizeGraphOptions>;
}

const DEFAULT_OPS: readonly QuantizableOp[] = ['MatMul', 'Gemm', 'Gather'];

/** numpy's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

interface QuantParams {
  type: WeightType;
  scale: number;
  zeroPoint: number;
  qmin: number;
  qmax: number;
}

/** onnxruntime's compute_scale_zp for one group of values. */
function params(min: number, max: number, type: WeightType, reduceRange: boolean): QuantParams {
  const [qmin, qmax] =
    type === 'int8' ? (reduceRange ? [-64, 64] : [-127, 127]) : reduceRange ? [0, 127] : [0, 255];
  let rmin = Math.min(min, 0);
  let rmax = Math.max(max, 0);
  if (type === 'int8') {
    const absmax = Math.max(-rmin, rmax);
    rmin = -absmax;
    rmax = absmax;
  }
  const scale = Math.fround(rmax === rmin ? 1 : (rmax - rmin) / (qmax - qmin));
  const zeroPoint = Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - rmin / scale)));
  return { type, scale, zeroPoint, qmin, qmax };
}

function quantizeValue(v: number, p: QuantParams): number {
  return Math.min(p.qmax, Math.max(p.qmin, roundHalfEven(v / p.scale) + p.zeroPoint));
}

/** A quantized weight: 8-bit data (same layout as the float one) with per-tensor or per-column params. */
interface QuantizedWeight {
  data: Int8Array | Uint8Array;
  scales: Float32Array;
  zeroPoints: Int8Array | Uint8Array;
  perColumn: boolean;
}

function quantizeWeight(
  w: Float32Array,
  cols: number,
  type: WeightType,
  reduceRange: boolean,
  perColumn: boolean,
): QuantizedWeight {
  const groups = perColumn ? cols : 1;
  const mins = new Float64Array(groups).fill(Infinity);
  const maxs = new Float64Array(groups).fill(-Infinity);
  for (let i = 0; i < w.length; i++) {
    const g = perColumn ? i % cols : 0;
    const v = w[i]!;
    if (v < mins[g]!) mins[g] = v;
    if (v > maxs[g]!) maxs[g] = v;
  }
  const ps = Array.from({ length: groups }, (_, g) => params(mins[g]!, maxs[g]!, type, reduceRange));
  const data = type === 'int8' ? new Int8Array(w.length) : new Uint8Array(w.length);
  for (let i = 0; i < w.length; i++) data[i] = quantizeValue(w[i]!, ps[perColumn ? i % cols : 0]!);
  const scales = Float32Array.from(ps, (p) => p.scale);
  const zeroPoints =
    type === 'int8' ? Int8Array.from(ps, (p) => p.zeroPoint) : Uint8Array.from(ps, (p) => p.zeroPoint);
  return { data, scales, zeroPoints, perColumn };
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

const elemOf = (type: WeightType): number => (type === 'int8' ? ElemType.INT8 : ElemType.UINT8);

/**
 * Quantize a decoded model in place. Only weights stored as float32 initializers are quantized;
 * a float initializer is dropped once no node uses it any more.
 *
 * @throws ClipError `unsupported` for opsets below 11 or weights kept in external data files
 */
export function quantizeGraph(model: ModelProto, options: QuantizeGraphOptions): QuantizeGraphReport {
  const settings: Required<QuantizeGraphOptions> = {
    weights: options.weights,
    perChannel: options.perChannel ?? true,
    reduceRange: options.reduceRange ?? options.weights === 'int8',
    ops: options.ops ?? DEFAULT_OPS,
  };
  const graph = model.graph;
  if (!graph) throw new ClipError('model', 'the model has no graph');
  const opset = defaultOpset(model);
  if (opset < 11) {
    throw new ClipError(
      'unsupported',
      `opset ${opset} is too old to quantize (DynamicQuantizeLinear needs 11)`,
    );
  }
  const report: QuantizeGraphReport = { quantized: {}, skipped: [], settings };
  const nodes = graph.node ?? [];
  const inits = new Map<string, TensorProto>((graph.initializer ?? []).map((t) => [t.name!, t]));
  const uses = new Map<string, number>();
  for (const n of nodes) for (const i of n.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);

  const taken = new Set<string>([
    ...nodes.flatMap((n) => [...(n.input ?? []), ...(n.output ?? []), n.name ?? '']),
    ...inits.keys(),
    ...(graph.input ?? []).map((v) => v.name!),
  ]);
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };

  const out: NodeProto[] = [];
  const added: TensorProto[] = [];
  /** DynamicQuantizeLinear outputs per activation, shared by every consumer (as onnxruntime does). */
  const dynamic = new Map<string, [string, string, string]>();
  const quantizeActivation = (x: string): [string, string, string] => {
    let q = dynamic.get(x);
    if (!q) {
      q = [fresh(`${x}_quantized`), fresh(`${x}_scale`), fresh(`${x}_zero_point`)];
      out.push({
        opType: 'DynamicQuantizeLinear',
        name: fresh(`${x}_QuantizeLinear`),
        input: [x],
        output: q,
      });
      dynamic.set(x, q);
    }
    return q;
  };
  const release = (name: string): void => {
    const left = (uses.get(name) ?? 1) - 1;
    uses.set(name, left);
    if (left === 0 && inits.has(name)) inits.delete(name);
  };
  const addWeight = (
    base: string,
    q: QuantizedWeight,
    dims: number[],
    type: WeightType,
  ): [string, string, string] => {
    const names: [string, string, string] = [
      fresh(`${base}_quantized`),
      fresh(`${base}_scale`),
      fresh(`${base}_zero_point`),
    ];
    const pdims = q.perColumn ? [q.scales.length] : [];
    added.push(
      tensor(names[0], elemOf(type), dims, q.data),
      tensor(names[1], ElemType.FLOAT, pdims, q.scales),
      tensor(names[2], elemOf(type), pdims, q.zeroPoints),
    );
    return names;
  };
  /** MatMulInteger (or ConvInteger) → Cast → Mul by the two scales, writing `output`. */
  const integerOp = (
    node: NodeProto,
    opType: 'MatMulInteger' | 'ConvInteger',
    x: string,
    w: [string, string, string],
    output: string,
  ): void => {
    const [xq, xs, xz] = quantizeActivation(x);
    const base = node.name || output;
    const int = fresh(`${output}_output_quantized`);
    const attrs = opType === 'ConvInteger' ? (node.attribute ?? []) : [];
    out.push({
      opType,
      name: fresh(`${base}_quant`),
      input: [xq, w[0], xz, w[2]],
      output: [int],
      attribute: attrs,
    });
    const cast = fresh(`${int}_cast_output`);
    out.push({
      opType: 'Cast',
      name: fresh(`${int}_cast`),
      input: [int],
      output: [cast],
      attribute: [{ name: 'to', type: 2, i: ElemType.FLOAT }],
    });
    const scales = fresh(`${base}_scales_mul`);
    out.push({ opType: 'Mul', name: fresh(`${base}_scales_mul_node`), input: [xs, w[1]], output: [scales] });
    out.push({
      opType: 'Mul',
      name: fresh(`${base}_output_scale_mul`),
      input: [cast, scales],
      output: [output],
    });
  };
  const skip = (node: NodeProto, reason: string): void => {
    report.skipped.push({ node: node.name || node.output?.[0] || '?', op: node.opType!, reason });
    out.push(node);
  };
  const count = (op: QuantizableOp): void => {
    report.quantized[op] = (report.quantized[op] ?? 0) + 1;
  };

  for (const node of nodes) {
    const op = node.opType as QuantizableOp;
    if ((node.domain && node.domain !== 'ai.onnx') || !settings.ops.includes(op)) {
      out.push(node);
      continue;
    }
    const inputs = node.input ?? [];
    const output = node.output![0]!;
    if (op === 'MatMul' || op === 'Gemm') {
      const wt = inits.get(inputs[1] ?? '');
      const w = wt && floatValues(wt);
      const dims = wt ? dimsOf(wt) : [];
      if (!wt || !w) {
        skip(node, 'the second input is not a float32 initializer');
        continue;
      }
      if (dims.length !== 2) {
        skip(node, `the weight has ${dims.length} dimensions (2 are quantized)`);
        continue;
      }
      let [rows, cols] = dims as [number, number];
      let values = w;
      let bias: string | undefined;
      if (op === 'Gemm') {
        if (intAttr(node, 'transA', 0) !== 0 || floatAttr(node, 'alpha', 1) !== 1) {
          skip(node, 'Gemm with transA or alpha ≠ 1');
          continue;
        }
        bias = inputs[2] || undefined;
        if (bias && floatAttr(node, 'beta', 1) !== 1) {
          skip(node, 'Gemm with beta ≠ 1');
          continue;
        }
        if (intAttr(node, 'transB', 0) === 1) {
          values = transpose(w, rows, cols);
          [rows, cols] = [cols, rows];
        }
      }
      const q = quantizeWeight(values, cols, settings.weights, settings.reduceRange, settings.perChannel);
      const wq = addWeight(wt.name!, q, [rows, cols], settings.weights);
      const target = bias ? fresh(`${output}_before_bias`) : output;
      integerOp(node, 'MatMulInteger', inputs[0]!, wq, target);
      if (bias)
        out.push({
          opType: 'Add',
          name: fresh(`${node.name || output}_bias_add`),
          input: [target, bias],
          output: [output],
        });
      release(wt.name!);
      count(op);
    } else if (op === 'Conv') {
      const wt = inits.get(inputs[1] ?? '');
      const w = wt && floatValues(wt);
      if (!wt || !w || inputs[2]) {
        skip(node, inputs[2] ? 'Conv with a bias' : 'the weight is not a float32 initializer');
        continue;
      }
      // onnxruntime's CPU ConvInteger takes uint8 weights with one zero point for the whole tensor.
      const q = quantizeWeight(w, w.length, 'uint8', settings.reduceRange, false);
      integerOp(node, 'ConvInteger', inputs[0]!, addWeight(wt.name!, q, dimsOf(wt), 'uint8'), output);
      release(wt.name!);
      count(op);
    } else if (op === 'Gather') {
      const wt = inits.get(inputs[0] ?? '');
      const w = wt && floatValues(wt);
      if (!wt || !w) {
        skip(node, 'the table is not a float32 initializer');
        continue;
      }
      // A gathered table is quantized like an activation: uint8, asymmetric, full range, per tensor.
      const q = quantizeWeight(w, w.length, 'uint8', false, false);
      const [tq, ts, tz] = addWeight(wt.name!, q, dimsOf(wt), 'uint8');
      const gathered = fresh(`${output}_quantized`);
      out.push({ ...node, input: [tq, ...inputs.slice(1)], output: [gathered] });
      out.push({
        opType: 'DequantizeLinear',
        name: fresh(`${output}_DequantizeLinear`),
        input: [gathered, ts, tz],
        output: [output],
      });
      release(wt.name!);
      count(op);
    }
  }
  graph.node = out;
  graph.initializer = [...inits.values(), ...added];
  return report;
}
