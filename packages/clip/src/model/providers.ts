// Execution-provider choice. `auto` tries the accelerators of the platform in order and falls back
// to CPU when a session cannot be created (missing CUDA libraries is the common case on Linux); an
// explicit device is tried alone unless `fallback` is set.
import type { ClipDevice } from '../types';

/** Accelerators `auto` tries, per platform, before CPU. */
export const AUTO_ACCELERATORS: Readonly<Record<string, readonly string[]>> = {
  linux: ['cuda'],
  win32: ['dml', 'cuda'],
  darwin: ['coreml'],
};

/** Ordered provider names to try for a device request. */
export function providerPlan(
  device: ClipDevice,
  fallback: boolean,
  platform: string = process.platform,
): string[] {
  if (device === 'cpu') return ['cpu'];
  if (device === 'auto') return [...(AUTO_ACCELERATORS[platform] ?? []), 'cpu'];
  return fallback ? [device, 'cpu'] : [device];
}
