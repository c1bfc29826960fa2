// Reading and writing ONNX model files (the protobuf `ModelProto`) with onnx-proto's generated
// codec, plus the few tensor helpers the quantizer needs.
import onnxProto from 'onnx-proto';
import { ClipError } from '../errors';

const { onnx } = onnxProto;

/** A decoded model (onnx-proto's message type). */
export type ModelProto = onnxProto.onnx.ModelProto;
/** A graph node. */
export type NodeProto = onnxProto.onnx.INodeProto;
/** An initializer or constant tensor. */
export type TensorProto = onnxProto.onnx.ITensorProto;
/** A node attribute. */
export type AttributeProto = onnxProto.onnx.IAttributeProto;

/** ONNX `TensorProto.DataType` values used here. */
export const ElemType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

/** Decode an ONNX file's bytes; `label` names the file in errors. */
export function decodeModel(bytes: Uint8Array, label: string): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new ClipError('model', `${label} is not an ONNX model: ${(cause as Error).message}`, { cause });
  }
}

/** Encode a model back to bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** int64 fields decode as numbers or Long objects depending on the runtime; always a number here. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** A tensor's dimensions as numbers. */
export function dimsOf(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNumber);
}

/** Whether the tensor's data lives in another file (models over 2 GB). */
export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0;
}

/** A float32 tensor's values (from `raw_data` or `float_data`), or undefined for other types. */
export function floatValues(t: TensorProto): Float32Array | undefined {
  if (t.dataType !== ElemType.FLOAT || isExternal(t)) return undefined;
  const count = dimsOf(t).reduce((a, b) => a * b, 1);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== count * 4) return undefined;
    // Copy: raw_data views into the file buffer need not be 4-byte aligned.
    return new Float32Array(new Uint8Array(t.rawData).buffer);
  }
  if (t.floatData && t.floatData.length === count) return Float32Array.from(t.floatData);
  return count === 0 ? new Float32Array(0) : undefined;
}

/** A tensor with raw little-endian data. */
export function tensor(name: string, dataType: number, dims: number[], data: ArrayBufferView): TensorProto {
  return {
    name,
    dataType,
    dims,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** An attribute's integer value, or `fallback` when absent. */
export function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a ? toNumber(a.i) : fallback;
}

/** An attribute's float value, or `fallback` when absent. */
export function floatAttr(node: NodeProto, name: string, fallback: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.f ?? fallback;
}

/** The opset version of the default ONNX domain. */
export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return toNumber(entry?.version);
}
