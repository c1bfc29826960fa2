// Which onnxruntime-web execution providers to try, and why one cannot run here, before a session
// is created: WebGPU needs navigator.gpu and an adapter (and shader-f16 for an fp16 model), WebNN
// needs navigator.ml. The WebGPU self-check compares a q8/fp16 graph's WebGPU output with WASM's on
// a fixed input, since WebGPU kernels for those precisions can return wrong vectors without an error.
import type { ClipDtype } from '../types';
import type { WebClipDevice } from './types';

/** onnxruntime-web provider names, in the order `auto` tries them. */
export type WebProvider = 'webgpu' | 'webnn' | 'wasm';

/** Providers to try for a device. */
export function providerPlan(device: WebClipDevice, fallback: boolean): WebProvider[] {
  if (device === 'wasm') return ['wasm'];
  if (device === 'auto') return ['webgpu', 'webnn', 'wasm'];
  return fallback ? [device, 'wasm'] : [device];
}

interface GpuAdapterLike {
  features: { has(name: string): boolean };
}
interface NavigatorLike {
  gpu?: { requestAdapter(options?: object): Promise<GpuAdapterLike | null> };
  ml?: unknown;
}

/** Why a provider cannot run in this browser, or undefined when it may (session creation decides). */
export async function unavailable(
  provider: WebProvider,
  dtype: ClipDtype,
  nav: NavigatorLike = globalThis.navigator as NavigatorLike,
): Promise<string | undefined> {
  if (provider === 'wasm') return undefined;
  if (provider === 'webnn') {
    return nav?.ml === undefined
      ? 'WebNN is not available: navigator.ml is undefined in this browser'
      : undefined;
  }
  if (!nav?.gpu) return 'WebGPU is not available: navigator.gpu is undefined in this browser or context';
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await nav.gpu.requestAdapter();
  } catch (err) {
    return `WebGPU is not available: navigator.gpu.requestAdapter() failed: ${(err as Error).message}`;
  }
  if (!adapter) {
    return (
      'WebGPU is not available: navigator.gpu.requestAdapter() returned null ' +
      '(no usable GPU adapter: GPU disabled, blocklisted or absent)'
    );
  }
  if (dtype === 'fp16' && !adapter.features.has('shader-f16')) {
    return 'the WebGPU adapter lacks the "shader-f16" feature that an fp16 model needs';
  }
  return undefined;
}

/** Whether a provider/precision pair gets the self-check against WASM. */
export function needsSelfCheck(provider: WebProvider, dtype: ClipDtype): boolean {
  return provider === 'webgpu' && (dtype === 'q8' || dtype === 'fp16');
}

/** Smallest row cosine between two row-major matrices; -1 for a row that is NaN, infinite or zero. */
export function minRowCosine(a: Float32Array, b: Float32Array, dims: number): number {
  let min = 1;
  for (let r = 0; r * dims < a.length; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = 0; c < dims; c++) {
      const x = a[r * dims + c]!;
      const y = b[r * dims + c]!;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    // A NaN, infinite or all-zero row fails the check outright.
    const cos = dot / Math.sqrt(na * nb);
    const v = Number.isFinite(cos) ? cos : -1;
    if (v < min) min = v;
  }
  return min;
}

/** A deterministic image tensor (values spread over the normalised range) for the self-check. */
export function fixedImage(length: number): Float32Array {
  const out = new Float32Array(length);
  let s = 0x2545f491;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    out[i] = ((s >>> 8) / 0x1000000) * 3.8 - 1.8;
  }
  return out;
}
