import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { DT, GraphBuilder } from '../../scripts/onnx-builder';
import { IMAGE_FIXTURES, LAYOUT_DIR } from '../../test/models';
import { createClipEmbedder } from '../embedder/embedder';
import { autoWeightType, parseCpuFlags } from '../model/cpu';
import { dtypeSuffixes } from '../model/sources';
import { cosineSimilarity } from '../similarity';
import { decodeModel, ElemType } from './onnx-model';
import { quantizeModel, quantizeOnnxBytes } from './quantize-model';

const tmp = mkdtempSync(join(tmpdir(), 'clip-quantize-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the generated split model with only its fp32 files. */
function fp32Copy(name: string): string {
  const dir = join(tmp, name);
  cpSync(LAYOUT_DIR.split, dir, { recursive: true });
  for (const f of ['vision_model', 'text_model'])
    for (const s of ['_fp16', '_quantized']) rmSync(join(dir, 'onnx', `${f}${s}.onnx`));
  return dir;
}

const photos = ['chelsea.jpg', 'coffee.png', 'astronaut.jpg', 'rocket.jpg', 'camera.png', 'wide.jpg'].map(
  (f) => readFileSync(join(IMAGE_FIXTURES, f)),
);
const texts = ['a photo of a cat', 'two dogs playing in the snow', 'a rocket on its launch pad'];

describe('quantizeModel', () => {
  for (const weights of ['int8', 'uint8'] as const) {
    it(`writes ${weights} weights that load and stay within cosine 0.998 of fp32`, async () => {
      const dir = fp32Copy(weights);
      const result = await quantizeModel({ modelDir: dir, weights });
      expect(result.weights).toBe(weights);
      expect(result.files.map((f) => f.output.replace(/\\/g, '/'))).toEqual([
        `${dir}/onnx/vision_model_${weights}.onnx`.replace(/\\/g, '/'),
        `${dir}/onnx/text_model_${weights}.onnx`.replace(/\\/g, '/'),
      ]);
      for (const file of result.files) {
        expect(file.outputBytes).toBeLessThan(file.inputBytes);
        // Every MatMul with a constant weight became MatMulInteger over an 8-bit weight of the type asked.
        const model = decodeModel(readFileSync(file.output), file.output);
        const inits = new Map(model.graph!.initializer!.map((t) => [t.name, t]));
        const ops = model.graph!.node!.map((n) => n.opType);
        for (const n of model.graph!.node!) {
          if (n.opType === 'MatMul') expect(inits.has(n.input![1]!)).toBe(false);
          if (n.opType === 'MatMulInteger') {
            expect(inits.get(n.input![1]!)!.dataType).toBe(
              weights === 'int8' ? ElemType.INT8 : ElemType.UINT8,
            );
            // Per channel: one zero point per output column.
            expect(inits.get(n.input![3]!)!.dims!.length).toBe(1);
          }
        }
        expect(file.report.quantized.MatMul).toBeGreaterThan(0);
        expect(ops).toContain('DynamicQuantizeLinear');
      }
      const base = { device: 'cpu' as const, threads: { intra: 1 } };
      const fp32 = await createClipEmbedder({ ...base, modelPath: dir, dtype: 'fp32' });
      const q = await createClipEmbedder({ ...base, modelPath: dir, dtype: 'q8' });
      try {
        expect(q.info().files.vision).toMatch(new RegExp(`vision_model_${weights}\\.onnx$`));
        const [a, b] = [await fp32.embedImages(photos), await q.embedImages(photos)];
        for (let i = 0; i < photos.length; i++)
          expect(cosineSimilarity(a[i]!.embedding!, b[i]!.embedding!)).toBeGreaterThanOrEqual(0.998);
        const [ta, tb] = [await fp32.embedTexts(texts), await q.embedTexts(texts)];
        for (let i = 0; i < texts.length; i++)
          expect(cosineSimilarity(ta[i]!, tb[i]!)).toBeGreaterThanOrEqual(0.998);
      } finally {
        await fp32.dispose();
        await q.dispose();
      }
    });
  }

  it('auto picks int8 where the CPU has VNNI or AMX and uint8 otherwise', async () => {
    const vnni = { vnni: true, amx: false, source: 'proc-cpuinfo' as const };
    const none = { vnni: false, amx: false, source: 'proc-cpuinfo' as const };
    expect(autoWeightType(vnni).weights).toBe('int8');
    expect(autoWeightType({ ...none, amx: true }).weights).toBe('int8');
    expect(autoWeightType(none).weights).toBe('uint8');
    expect(autoWeightType({ ...none, source: 'unknown' })).toMatchObject({
      weights: 'uint8',
      reason: expect.stringMatching(/cannot be read/),
    });
    const dir = fp32Copy('auto');
    const result = await quantizeModel({ modelDir: dir, cpu: none, onProgress: () => undefined });
    expect(result.weights).toBe('uint8');
    expect(result.files[0]!.output).toMatch(/vision_model_uint8\.onnx$/);
  });

  it('reads the VNNI and AMX flags from /proc/cpuinfo', () => {
    const flags = (f: string) => `processor\t: 0\nmodel name\t: X\nflags\t\t: fpu sse2 avx2 ${f}\n`;
    expect(parseCpuFlags(flags(''))).toEqual({ vnni: false, amx: false, source: 'proc-cpuinfo' });
    expect(parseCpuFlags(flags('avx512_vnni')).vnni).toBe(true);
    expect(parseCpuFlags(flags('avx_vnni')).vnni).toBe(true);
    expect(parseCpuFlags(flags('amx_tile amx_int8')).amx).toBe(true);
    expect(parseCpuFlags('no flags here').source).toBe('unknown');
  });

  it('the embedder looks for the weight type that suits the CPU first', () => {
    const cpu = (vnni: boolean) => ({ vnni, amx: false, source: 'proc-cpuinfo' as const });
    expect(dtypeSuffixes('q8', cpu(true))[0]).toBe('_int8');
    expect(dtypeSuffixes('q8', cpu(false))[0]).toBe('_uint8');
    expect(dtypeSuffixes('q8', cpu(false))).toContain('_quantized');
  });

  it('quantizes Gemm (transB, bias) per channel and drops the float weight', async () => {
    // y = x · Wᵀ + c with W stored [N, K] as Gemm(transB=1) writes it.
    const [k, n] = [24, 8];
    const g = new GraphBuilder('fp32');
    const x = g.input('x', DT.FLOAT, ['batch', k]);
    const w = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 0.37) * (1 + (i % n)));
    const c = Float32Array.from({ length: n }, (_, i) => i * 0.1 - 0.3);
    const y = g.op1('Gemm', [x, g.init('W', DT.FLOAT, [n, k], w), g.init('c', DT.FLOAT, [n], c)], {
      transB: 1,
    });
    g.named(y, 'y');
    g.output('y', DT.FLOAT, ['batch', n]);
    const fp32 = g.encode('gemm');
    const { bytes, report } = quantizeOnnxBytes(fp32, { weights: 'uint8' });
    expect(report.quantized.Gemm).toBe(1);
    const model = decodeModel(bytes, 'gemm');
    expect(model.graph!.initializer!.some((t) => t.name === 'W')).toBe(false);
    writeFileSync(join(tmp, 'gemm_uint8.onnx'), bytes);
    const input = Float32Array.from({ length: 3 * k }, (_, i) => Math.cos(i * 0.11) * 2);
    const run = async (file: Uint8Array) => {
      const s = await ort.InferenceSession.create(file);
      const out = await s.run({ x: new ort.Tensor('float32', input, [3, k]) });
      await s.release();
      return out.y!.data as Float32Array;
    };
    const [ref, got] = [await run(fp32), await run(bytes)];
    for (let r = 0; r < 3; r++) {
      expect(
        cosineSimilarity(ref.subarray(r * n, (r + 1) * n), got.subarray(r * n, (r + 1) * n)),
      ).toBeGreaterThan(0.999);
    }
  });

  it('refuses what it cannot read with a typed error', async () => {
    await expect(quantizeModel({ modelDir: join(tmp, 'nothing-here') })).rejects.toMatchObject({
      code: 'not-found',
    });
    expect(() => quantizeOnnxBytes(new Uint8Array([1, 2, 3, 255]), { weights: 'int8' }, 'junk.onnx')).toThrow(
      /junk\.onnx is not an ONNX model/,
    );
  });
});
