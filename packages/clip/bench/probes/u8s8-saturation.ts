// Probe: does onnxruntime's MatMulInteger saturate on this CPU? One row of uint8 activations times
// one column of weights, K = 2, every product at its largest. Exact results: uint8×int8 (255·127·2)
// = 64770 and, with 7-bit weights (reduce_range), 255·64·2 = 32640; uint8×uint8 (255·255·2) = 130050.
// x86 CPUs without VNNI run uint8×int8 through VPMADDUBSW, whose pairwise sums saturate at 32767;
// VNNI (VPDPBUSD) and the uint8×uint8 kernel (widened to 16 bits first) do not (BENCHMARKS.md).
//   node --import tsx bench/probes/u8s8-saturation.ts
import ort from 'onnxruntime-node';
import { DT, GraphBuilder } from '../../scripts/onnx-builder';

async function run(weightType: number, weight: number): Promise<number> {
  const g = new GraphBuilder('fp32');
  const a = g.input('a', DT.UINT8, [1, 2]);
  const w = weightType === DT.INT8 ? Int8Array.of(weight, weight) : Uint8Array.of(weight, weight);
  const b = g.init('b', weightType, [2, 1], w);
  const bz = g.init('bz', weightType, [], weightType === DT.INT8 ? Int8Array.of(0) : Uint8Array.of(0));
  const az = g.init('az', DT.UINT8, [], Uint8Array.of(0));
  g.named(g.op1('MatMulInteger', [a, b, az, bz]), 'y');
  g.output('y', DT.INT32, [1, 1]);
  const session = await ort.InferenceSession.create(g.encode('probe'));
  const out = await session.run({ a: new ort.Tensor('uint8', Uint8Array.of(255, 255), [1, 2]) });
  await session.release();
  return Number((out.y!.data as Int32Array)[0]);
}

const cases: [string, number, number, number][] = [
  ['uint8 × int8, full range (127)', DT.INT8, 127, 255 * 127 * 2],
  ['uint8 × int8, 7-bit weights (64)', DT.INT8, 64, 255 * 64 * 2],
  ['uint8 × uint8, full range (255)', DT.UINT8, 255, 255 * 255 * 2],
];
for (const [label, type, weight, exact] of cases) {
  const got = await run(type, weight);
  console.log(`${label}: exact ${exact}, onnxruntime ${got}${got === exact ? '' : '  <- saturated'}`);
}
