// A small ONNX graph builder over onnx-proto, used only by the test/benchmark model generator.
// It emits real ops (no custom domains) so onnxruntime and transformers.js run the files as they
// would run a real export.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;

/** Element types used by the generator (ONNX TensorProto.DataType values). */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

/** How weights are stored: fp32, fp16 weights cast up at load, or dynamic-quantized MatMuls. */
export type WeightMode = 'fp32' | 'fp16' | 'q8';

type AttrValue = number | string | number[] | { floats: number[] } | { tensor: ITensorProto };

/** Deterministic PRNG (mulberry32) so generated weights are identical on every machine. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Float32 → IEEE half bits (round to nearest even). */
export function toHalfBits(value: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function attribute(name: string, value: AttrValue): IAttributeProto {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: 2, i: value } : { name, type: 1, f: value };
  }
  if (typeof value === 'string') return { name, type: 3, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: 7, ints: value };
  if ('floats' in value) return { name, type: 6, floats: value.floats };
  return { name, type: 4, t: value.tensor };
}

/** Graph under construction. */
export class GraphBuilder {
  readonly nodes: INodeProto[] = [];
  readonly initializers: ITensorProto[] = [];
  readonly inputs: IValueInfoProto[] = [];
  readonly outputs: IValueInfoProto[] = [];
  private counter = 0;
  private readonly constCache = new Map<string, string>();

  constructor(readonly mode: WeightMode) {}

  /** A fresh unique value name. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** Append a node; returns its output names. */
  op(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string[] {
    const outNames = Array.from({ length: outputs }, () => this.fresh(`${type}_out`));
    this.nodes.push({
      opType: type,
      name: this.fresh(type),
      input: inputs,
      output: outNames,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outNames;
  }

  /** Append a one-output node. */
  op1(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.op(type, inputs, attrs, 1)[0]!;
  }

  /** Give a value a fixed name (an Identity node), e.g. for a graph output. */
  named(value: string, name: string): string {
    this.nodes.push({ opType: 'Identity', name: this.fresh('Identity'), input: [value], output: [name] });
    return name;
  }

  /** Declare a graph input; dims may be symbolic names. */
  input(name: string, elemType: number, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declare a graph output. */
  output(name: string, elemType: number, dims: (number | string)[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** Raw initializer of any type. */
  init(name: string, dataType: number, dims: number[], data: ArrayBufferView): string {
    this.initializers.push({ name, dataType, dims, rawData: bytesOf(data) });
    return name;
  }

  /** int64 constant (cached by value). */
  i64(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.init(this.fresh('const_i64'), DT.INT64, dims, BigInt64Array.from(values.map(BigInt)));
    this.constCache.set(key, name);
    return name;
  }

  /** float32 constant that stays float32 in every mode (scalars, masks). */
  f32(values: Float32Array | number[], dims: number[]): string {
    return this.init(this.fresh('const_f32'), DT.FLOAT, dims, Float32Array.from(values));
  }

  /**
   * A learned float weight. fp32: stored as is. fp16: stored as float16 with a Cast to float
   * after it (the weights halve on disk; onnxruntime folds the Cast at load). q8 keeps
   * non-MatMul weights in fp32, as onnxruntime's dynamic quantization does.
   */
  weight(name: string, dims: number[], data: Float32Array): string {
    if (this.mode !== 'fp16') return this.init(name, DT.FLOAT, dims, data);
    const half = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) half[i] = toHalfBits(data[i]!);
    this.init(`${name}_fp16`, DT.FLOAT16, dims, half);
    return this.op1('Cast', [`${name}_fp16`], { to: DT.FLOAT });
  }

  /**
   * x @ W (+ b). In q8 mode this is laid out the way onnxruntime.quantization.quantize_dynamic
   * writes a MatMul: DynamicQuantizeLinear on the activation, MatMulInteger against an int8
   * weight initializer with its scale and zero point, Cast to float, Mul by the product of the
   * two scales, then the float bias Add.
   */
  linear(x: string, name: string, w: Float32Array, inDim: number, outDim: number, b?: Float32Array): string {
    let y: string;
    if (this.mode === 'q8') {
      let absMax = 0;
      for (const v of w) absMax = Math.max(absMax, Math.abs(v));
      const scale = absMax / 127 || 1;
      const q = new Int8Array(w.length);
      for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / scale)));
      const wq = this.init(`${name}_quantized`, DT.INT8, [inDim, outDim], q);
      const ws = this.init(`${name}_scale`, DT.FLOAT, [], Float32Array.of(scale));
      const wz = this.init(`${name}_zero_point`, DT.INT8, [], Int8Array.of(0));
      const [xq, xs, xz] = this.op('DynamicQuantizeLinear', [x], {}, 3) as [string, string, string];
      const mm = this.op1('MatMulInteger', [xq, wq, xz, wz]);
      const cast = this.op1('Cast', [mm], { to: DT.FLOAT });
      const scales = this.op1('Mul', [xs, ws]);
      y = this.op1('Mul', [cast, scales]);
    } else {
      y = this.op1('MatMul', [x, this.weight(name, [inDim, outDim], w)]);
    }
    if (b) y = this.op1('Add', [y, this.weight(`${name}_bias`, [outDim], b)]);
    return y;
  }

  /**
   * Embedding lookup. In q8 mode laid out as quantize_dynamic's GatherQuant writes it: the table
   * as an 8-bit initializer with scale/zero point, Gather on it, then DequantizeLinear.
   */
  gather(name: string, dims: [number, number], table: Float32Array, ids: string): string {
    if (this.mode !== 'q8') return this.op1('Gather', [this.weight(name, dims, table), ids], { axis: 0 });
    let absMax = 0;
    for (const v of table) absMax = Math.max(absMax, Math.abs(v));
    const scale = absMax / 127 || 1;
    const q = new Int8Array(table.length);
    for (let i = 0; i < table.length; i++)
      q[i] = Math.max(-127, Math.min(127, Math.round(table[i]! / scale)));
    const tq = this.init(`${name}_quantized`, DT.INT8, dims, q);
    const ts = this.init(`${name}_scale`, DT.FLOAT, [], Float32Array.of(scale));
    const tz = this.init(`${name}_zero_point`, DT.INT8, [], Int8Array.of(0));
    return this.op1('DequantizeLinear', [this.op1('Gather', [tq, ids], { axis: 0 }), ts, tz]);
  }

  /** Serialise to ONNX bytes (opset 17, IR 8). */
  encode(graphName: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'pmoves-clip-generate-models',
      producerVersion: '1',
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
