// Input feeds both builds send to a graph, and the output rows they read back (Node's inference
// worker and the browser's module worker): no Node import, so the browser bundle shares it.
import type { TextContract, VisionContract } from './contract';
import type { Feed } from './inference-protocol';
import { halfToFloat } from './half';
import type { Role } from './layouts';

/** An integer input tensor of the graph's integer type (int64 inputs take `BigInt64Array`). */
export function intFeed(name: string, type: 'int32' | 'int64', values: number[], dims: number[]): Feed {
  return type === 'int64'
    ? { name, type, data: BigInt64Array.from(values, (v) => BigInt(v)), dims }
    : { name, type, data: Int32Array.from(values), dims };
}

/**
 * Feeds a combined (vision + text) graph needs besides those of the modality being run: a
 * two-token text (start, end) when images run, a blank image when texts run. Split graphs need none.
 */
export function companionFeeds(
  graph: { role: Role; vision?: VisionContract; text?: TextContract },
  modality: 'image' | 'text',
  tokens: { bosId: number; eotId: number },
): Feed[] {
  if (graph.role !== 'combined') return [];
  if (modality === 'image') {
    const t = graph.text!;
    const len = t.fixedLength ?? 2;
    const ids = Array.from({ length: len }, (_, i) => (i === 0 ? tokens.bosId : tokens.eotId));
    const feeds = [intFeed(t.input, t.idType, ids, [1, len])];
    if (t.attentionMask)
      feeds.push(
        intFeed(
          t.attentionMask,
          t.maskType!,
          ids.map(() => 1),
          [1, len],
        ),
      );
    return feeds;
  }
  const v = graph.vision!;
  const [h, w] = v.size ?? [224, 224];
  return [
    {
      name: v.input,
      type: 'float32',
      data: new Float32Array(3 * h * w),
      dims: [1, 3, h, w],
      toHalf: v.inputType === 'float16',
    },
  ];
}

/**
 * The graph's output as `rows` unit vectors of its last dimension (float16 outputs widened): what
 * both builds return as embeddings.
 */
export function unitRows(
  raw: Float32Array | Uint16Array,
  half: boolean,
  rows: number,
  dims: number,
): Float32Array {
  const data = new Float32Array(rows * dims);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < dims; c++) {
      const v = half ? halfToFloat(raw[r * dims + c]!) : raw[r * dims + c]!;
      data[r * dims + c] = v;
      sum += v * v;
    }
    const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let c = 0; c < dims; c++) data[r * dims + c]! *= inv;
  }
  return data;
}
