// A small ONNX graph builder over onnx-proto, used only by the test/benchmark model generator.
// It emits real ops (no custom domains) so onnxruntime and transformers.js run the files as they
// would run a real export.
import onnxProto from 'onnx-proto';
import { floatsToHalf } from '../src/model/half';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;

/** Element types used by the generator (ONNX TensorProto.DataType values). */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

/** How weights are stored: fp32, or fp16 weights cast up at load (q8 files are fp32 graphs run through
 * the package's quantizer, see generate-models.ts). */
export type WeightMode = 'fp32' | 'fp16';

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
   * after it (the weights halve on disk; onnxruntime folds the Cast at load).
   */
  weight(name: string, dims: number[], data: Float32Array): string {
    if (this.mode !== 'fp16') return this.init(name, DT.FLOAT, dims, data);
    this.init(`${name}_fp16`, DT.FLOAT16, dims, floatsToHalf(data));
    return this.op1('Cast', [`${name}_fp16`], { to: DT.FLOAT });
  }

  /** x @ W (+ b). */
  linear(x: string, name: string, w: Float32Array, inDim: number, outDim: number, b?: Float32Array): string {
    let y = this.op1('MatMul', [x, this.weight(name, [inDim, outDim], w)]);
    if (b) y = this.op1('Add', [y, this.weight(`${name}_bias`, [outDim], b)]);
    return y;
  }

  /** Embedding lookup. */
  gather(name: string, dims: [number, number], table: Float32Array, ids: string): string {
    return this.op1('Gather', [this.weight(name, dims, table), ids], { axis: 0 });
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
