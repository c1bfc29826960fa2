import { availableParallelism, cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ClipError } from '../errors';
import { resolveOptions } from './options';

describe('resolveOptions', () => {
  it('defaults to at least two preprocessing workers where there are two CPUs, at most four', () => {
    const n = cpus().length;
    const workers = resolveOptions({}).preprocessWorkers;
    expect(workers).toBeLessThanOrEqual(4);
    expect(workers).toBeGreaterThanOrEqual(Math.min(2, n));
    expect(workers).toBeGreaterThanOrEqual(Math.min(4, Math.floor(availableParallelism() / 2)));
  });

  it("turns onnxruntime's CPU memory arena off unless asked for", () => {
    expect(resolveOptions({}).cpuMemArena).toBe(false);
    expect(resolveOptions({ cpuMemArena: true }).cpuMemArena).toBe(true);
  });

  it('names the field of a bad option', () => {
    const bad = (options: unknown): ClipError => {
      try {
        resolveOptions(options as never);
      } catch (err) {
        return err as ClipError;
      }
      throw new Error('accepted');
    };
    const arena = bad({ cpuMemArena: 'yes' });
    expect(arena).toBeInstanceOf(ClipError);
    expect(arena.code).toBe('invalid-input');
    expect(arena.message).toContain('"cpuMemArena"');
    expect(bad({ preprocessWorkers: -1 }).message).toContain('"preprocessWorkers"');
    expect(bad({ threads: { intra: 0 } }).message).toContain('"threads.intra"');
  });
});
