// Options of createClipEmbedder, validated with zod. The factory reads no environment variable:
// clipEmbedderOptionsFromEnv (src/config) turns CLIP_* / HF_* into these options.
import { cpus } from 'node:os';
import { z } from 'zod';
import { ClipError } from '../errors';

/** Model id used when neither `model` nor `modelPath` is given. */
export const DEFAULT_MODEL = 'Xenova/clip-vit-base-patch32';

const deviceSchema = z.enum(['auto', 'cpu', 'cuda', 'tensorrt', 'webgpu', 'dml', 'coreml']);
const dtypeSchema = z.enum(['fp32', 'fp16', 'q8']);

/**
 * Half the CPUs, at least 2 and at most 4. With one worker on 2 CPUs, the JavaScript part of
 * preprocessing (border rows, copies, normalisation) runs on one thread: q8 end to end measured a
 * median of 29.6 ms per image against 27.9 with two workers (BENCHMARKS.md).
 */
function defaultPreprocessWorkers(): number {
  const n = cpus().length;
  return Math.min(4, Math.max(Math.min(2, n), Math.floor(n / 2)));
}

/** zod schema of {@link ClipEmbedderOptions}. */
export const clipEmbedderOptionsSchema = z
  .object({
    model: z.string().min(1).optional(),
    modelPath: z.string().min(1).optional(),
    cacheDir: z.string().min(1).optional(),
    hubCache: z.string().min(1).optional(),
    revision: z.string().min(1).default('main'),
    autoDownload: z.boolean().default(false),
    hub: z
      .object({
        endpoint: z.url({ protocol: /^https?$/ }).optional(),
        token: z.string().min(1).optional(),
        offline: z.boolean().optional(),
      })
      .strict()
      .optional(),
    dtype: dtypeSchema.optional(),
    device: deviceSchema.default('auto'),
    fallback: z.boolean().default(false),
    threads: z
      .object({ intra: z.int().min(1).max(1024).optional(), inter: z.int().min(1).max(1024).optional() })
      .strict()
      .optional(),
    graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).default('all'),
    batchSize: z.int().min(1).max(4096).default(32),
    preprocessing: z.enum(['exact', 'fast']).default('fast'),
    preprocessWorkers: z.int().min(0).max(64).default(defaultPreprocessWorkers),
    cpuMemArena: z.boolean().default(false),
    maxPixels: z.int().positive().optional(),
    maxBytes: z.int().positive().optional(),
    maxBatchBuffers: z.int().min(1).max(256).default(4),
    modalities: z
      .array(z.enum(['image', 'text']))
      .min(1)
      .default(['image', 'text']),
  })
  .strict();

/** Options of `createClipEmbedder`; every field is optional (see the package README for defaults). */
export interface ClipEmbedderOptions {
  /** Hugging Face model id (`ORG/NAME`) looked up in `cacheDir` and the hub cache. Default `Xenova/clip-vit-base-patch32`. */
  model?: string;
  /** A model directory (Xenova split/combined or Immich layout); wins over `model`. */
  modelPath?: string;
  /** Cache directory holding `ORG/NAME/` or a hub cache (`models--ORG--NAME/`), looked in first. */
  cacheDir?: string;
  /** The Hugging Face hub cache to look in (and pull into). Default `~/.cache/huggingface/hub`. */
  hubCache?: string;
  /** Hub revision of `model` (a branch, tag or commit). Default `main`. */
  revision?: string;
  /** Pull `model` from the hub on first use when no cache has it. Default false. */
  autoDownload?: boolean;
  /** How to reach the hub for `autoDownload`: endpoint (default https://huggingface.co), token, offline. */
  hub?: { endpoint?: string; token?: string; offline?: boolean };
  /** File variant. Default: q8 on CPU when present, fp32 otherwise. */
  dtype?: 'fp32' | 'fp16' | 'q8';
  /** Execution device. Default `auto`. */
  device?: 'auto' | 'cpu' | 'cuda' | 'tensorrt' | 'webgpu' | 'dml' | 'coreml';
  /** With an explicit accelerator, fall back to CPU instead of throwing. Default false. */
  fallback?: boolean;
  /** onnxruntime thread pools: `intra` (within an op) and `inter` (between ops), in threads. Default: onnxruntime's. */
  threads?: { intra?: number; inter?: number };
  /** onnxruntime graph optimisation level. Default `all`. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Images or texts per inference call. Default 32; graphs with a fixed batch of 1 are looped. */
  batchSize?: number;
  /** Preprocessing mode: `fast` (default) or `exact` (reference pixels). */
  preprocessing?: 'exact' | 'fast';
  /**
   * Worker threads that decode and preprocess images (0: the main thread, which blocks the event
   * loop while JavaScript resampling runs). Default: half the CPUs, at least 2 (1 on one CPU), at most 4.
   */
  preprocessWorkers?: number;
  /** onnxruntime's CPU memory arena. Default false: on ViT-B/32 it held 40–70 MiB more at peak for no measurable speed. */
  cpuMemArena?: boolean;
  /** Largest image accepted, in pixels (width × height), checked before decoding. */
  maxPixels?: number;
  /** Largest encoded image accepted, in bytes. */
  maxBytes?: number;
  /**
   * Image batch buffers alive at once, shared by all concurrent calls (each `batchSize × 3 × H × W`
   * floats: 19 MiB at 32 × 224²); a call waits for one rather than allocating more, and a buffer
   * unused for 1 s is freed. Default 4.
   */
  maxBatchBuffers?: number;
  /** Sessions to create up front; the others are created on first use. Default both. */
  modalities?: ('image' | 'text')[];
}

// The interface above and the schema must accept the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _schemaMatchesInterface: Same<z.input<typeof clipEmbedderOptionsSchema>, ClipEmbedderOptions> = true;
void _schemaMatchesInterface;

/** Options after validation, defaults filled. */
export type ResolvedOptions = z.output<typeof clipEmbedderOptionsSchema> & { model: string };

/** Validate options (every bad field named in one `invalid-input` error) and fill the defaults. */
export function resolveOptions(input: ClipEmbedderOptions = {}): ResolvedOptions {
  const parsed = clipEmbedderOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const each = parsed.error.issues.map(
      (i) => `option "${i.path.map(String).join('.') || 'options'}" is invalid: ${i.message}`,
    );
    throw new ClipError('invalid-input', each.join('; '), { cause: parsed.error });
  }
  return { ...parsed.data, model: parsed.data.model ?? DEFAULT_MODEL };
}
