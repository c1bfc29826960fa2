// Provider planning and the checks made before a WebGPU/WebNN session is tried, on stand-in
// navigator objects (no browser here has a GPU: the end-to-end test covers the real no-adapter case).
import { describe, expect, it } from 'vitest';
import { fixedImage, minRowCosine, needsSelfCheck, providerPlan, unavailable } from './devices';

const adapter = (features: string[]) => ({ features: new Set(features) });

describe('providerPlan', () => {
  it('auto tries WebGPU, WebNN, then WASM; an explicit accelerator falls back only when asked', () => {
    expect(providerPlan('auto', false)).toEqual(['webgpu', 'webnn', 'wasm']);
    expect(providerPlan('wasm', true)).toEqual(['wasm']);
    expect(providerPlan('webgpu', false)).toEqual(['webgpu']);
    expect(providerPlan('webgpu', true)).toEqual(['webgpu', 'wasm']);
    expect(providerPlan('webnn', true)).toEqual(['webnn', 'wasm']);
  });
});

describe('unavailable', () => {
  it('says why WebGPU cannot run: no navigator.gpu, no adapter, a failing request, no shader-f16 for fp16', async () => {
    expect(await unavailable('webgpu', 'fp32', {})).toMatch(/navigator\.gpu is undefined/);
    const none = { gpu: { requestAdapter: async () => null } };
    expect(await unavailable('webgpu', 'fp32', none)).toMatch(/requestAdapter\(\) returned null/);
    const throws = {
      gpu: {
        requestAdapter: async () => {
          throw new Error('blocked');
        },
      },
    };
    expect(await unavailable('webgpu', 'fp32', throws)).toMatch(/requestAdapter\(\) failed: blocked/);
    const plain = { gpu: { requestAdapter: async () => adapter([]) } };
    expect(await unavailable('webgpu', 'fp32', plain)).toBeUndefined();
    expect(await unavailable('webgpu', 'q8', plain)).toBeUndefined();
    expect(await unavailable('webgpu', 'fp16', plain)).toMatch(/shader-f16/);
    const f16 = { gpu: { requestAdapter: async () => adapter(['shader-f16']) } };
    expect(await unavailable('webgpu', 'fp16', f16)).toBeUndefined();
  });

  it('WebNN needs navigator.ml; WASM always may run', async () => {
    expect(await unavailable('webnn', 'fp32', {})).toMatch(/navigator\.ml is undefined/);
    expect(await unavailable('webnn', 'fp32', { ml: {} })).toBeUndefined();
    expect(await unavailable('wasm', 'fp16', {})).toBeUndefined();
  });
});

describe('the WebGPU self-check', () => {
  it('runs for q8 and fp16 on WebGPU only', () => {
    expect(needsSelfCheck('webgpu', 'q8')).toBe(true);
    expect(needsSelfCheck('webgpu', 'fp16')).toBe(true);
    expect(needsSelfCheck('webgpu', 'fp32')).toBe(false);
    expect(needsSelfCheck('wasm', 'q8')).toBe(false);
  });

  it('takes the worst row cosine, and a NaN row fails it', () => {
    const a = new Float32Array([1, 0, 0, 1]);
    expect(minRowCosine(a, new Float32Array([1, 0, 0, 1]), 2)).toBeCloseTo(1, 6);
    expect(minRowCosine(a, new Float32Array([1, 0, 1, 0]), 2)).toBeCloseTo(0, 6);
    expect(minRowCosine(a, new Float32Array([1, 0, NaN, 1]), 2)).toBe(-1);
  });

  it('feeds a fixed, deterministic image in the normalised range', () => {
    const x = fixedImage(3 * 8 * 8);
    expect(x).toEqual(fixedImage(3 * 8 * 8));
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-1.8);
    expect(Math.max(...x)).toBeLessThanOrEqual(2);
    expect(new Set(x).size).toBeGreaterThan(100);
  });
});
