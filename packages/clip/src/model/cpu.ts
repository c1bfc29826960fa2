// Which 8-bit weight type suits this CPU. onnxruntime multiplies uint8 activations by int8 weights
// with VNNI (VPDPBUSD) or AMX where the CPU has them — the fast path — and otherwise, on x86, with
// VPMADDUBSW, whose pairwise int16 sums saturate; uint8 weights use a kernel that widens to 16 bits
// first and is exact everywhere (bench/probes/u8s8-saturation.ts shows both on the benchmark CPU).
import { readFileSync } from 'node:fs';
import type { WeightType } from '../quantize/quantize-graph';

/** What is known about the CPU's 8-bit dot-product support. */
export interface CpuInt8Support {
  /** AVX512-VNNI or AVX-VNNI. */
  vnni: boolean;
  /** AMX with int8 tiles. */
  amx: boolean;
  /** Where the answer comes from: Linux's `/proc/cpuinfo` flags, or nothing readable (other systems). */
  source: 'proc-cpuinfo' | 'unknown';
}

/** Parse the `flags` line of `/proc/cpuinfo` text. */
export function parseCpuFlags(cpuinfo: string): CpuInt8Support {
  const line = cpuinfo.split('\n').find((l) => /^flags\s*:/.test(l));
  if (!line) return { vnni: false, amx: false, source: 'unknown' };
  const flags = new Set(
    line
      .slice(line.indexOf(':') + 1)
      .trim()
      .split(/\s+/),
  );
  return {
    vnni: flags.has('avx512_vnni') || flags.has('avx_vnni'),
    amx: flags.has('amx_int8'),
    source: 'proc-cpuinfo',
  };
}

let cached: CpuInt8Support | undefined;

/** This machine's support, read once (Linux only; `unknown` elsewhere). */
export function cpuInt8Support(): CpuInt8Support {
  if (!cached) {
    try {
      cached =
        process.platform === 'linux' ? parseCpuFlags(readFileSync('/proc/cpuinfo', 'utf8')) : undefined;
    } catch {
      cached = undefined;
    }
    cached ??= { vnni: false, amx: false, source: 'unknown' };
  }
  return cached;
}

/**
 * The weight type `auto` picks: int8 with VNNI or AMX, uint8 otherwise — including every system
 * where the flags cannot be read (macOS, Windows), since uint8 weights are exact on every kernel.
 */
export function autoWeightType(cpu: CpuInt8Support = cpuInt8Support()): {
  weights: WeightType;
  reason: string;
} {
  if (cpu.amx || cpu.vnni) {
    return { weights: 'int8', reason: `the CPU has ${cpu.amx ? 'AMX int8' : 'VNNI'} (${cpu.source})` };
  }
  return {
    weights: 'uint8',
    reason:
      cpu.source === 'unknown'
        ? 'the CPU flags cannot be read on this system; uint8 weights are exact on every CPU'
        : 'the CPU has neither VNNI nor AMX (/proc/cpuinfo), where uint8 × int8 products saturate',
  };
}
