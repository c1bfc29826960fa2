// Options of createClipEmbedder, validated with zod; unset fields fall back to CLIP_* environment
// variables, which are validated by the same schema (an error names the variable).
import { cpus } from 'node:os';
import { z } from 'zod';
import { ClipError } from '../errors';

/** Model id used when neither `model`, `modelPath` nor their environment variables are set. */
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
    /** Hugging Face model id (`ORG/NAME`) looked up in `cacheDir` and the HF cache. Env: CLIP_MODEL. */
    model: z.string().min(1).optional(),
    /** A model directory (Xenova split/combined or Immich layout); wins over `model`. Env: CLIP_MODEL_PATH. */
    modelPath: z.string().min(1).optional(),
    /** Cache directory holding `ORG/NAME/` or a hub cache (`models--ORG--NAME/`). Env: CLIP_CACHE_DIR. */
    cacheDir: z.string().min(1).optional(),
    /** File variant: fp32, fp16 or q8. Default: q8 on CPU when present, fp32 otherwise. Env: CLIP_DTYPE. */
    dtype: dtypeSchema.optional(),
    /** Execution device. Default `auto`. Env: CLIP_DEVICE. */
    device: deviceSchema.optional(),
    /** With an explicit accelerator, fall back to CPU instead of throwing. Default false. */
    fallback: z.boolean().default(false),
    /** onnxruntime thread pools: `intra` (within an op) and `inter` (between ops). Default: onnxruntime's. */
    threads: z
      .object({ intra: z.int().min(1).max(1024).optional(), inter: z.int().min(1).max(1024).optional() })
      .strict()
      .optional(),
    /** onnxruntime graph optimisation level. Default `all`. */
    graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).default('all'),
    /** Images or texts per inference call. Default 32. Graphs with a fixed batch of 1 are looped. */
    batchSize: z.int().min(1).max(4096).default(32),
    /** Preprocessing mode: `fast` (default) or `exact` (reference pixels). */
    preprocessing: z.enum(['exact', 'fast']).default('fast'),
    /**
     * Worker threads that decode and preprocess images (0: on the main thread, which blocks the
     * event loop while JavaScript resampling runs). Default: half the CPUs, at least 2 (1 on a
     * single CPU), at most 4.
     */
    preprocessWorkers: z.int().min(0).max(64).default(defaultPreprocessWorkers),
    /**
     * onnxruntime's CPU memory arena. Default off: on ViT-B/32 it held 40–70 MiB more at peak for no
     * measurable speed (BENCHMARKS.md).
     */
    cpuMemArena: z.boolean().default(false),
    /** Largest image accepted, in pixels (width × height), checked before decoding. */
    maxPixels: z.int().positive().optional(),
    /** Largest encoded image accepted, in bytes. */
    maxBytes: z.int().positive().optional(),
    /** Sessions to create up front; the others are created on first use. Default both. */
    modalities: z
      .array(z.enum(['image', 'text']))
      .min(1)
      .default(['image', 'text']),
    /** Environment to read CLIP_* / HF_* from. Default `process.env`. */
    env: z.record(z.string(), z.string().optional()).optional(),
  })
  .strict();

/** Options of `createClipEmbedder`; every field is optional (see the package README for defaults). */
export interface ClipEmbedderOptions {
  /** Hugging Face model id (`ORG/NAME`) looked up in `cacheDir` and the HF cache. Env: CLIP_MODEL. */
  model?: string;
  /** A model directory (Xenova split/combined or Immich layout); wins over `model`. Env: CLIP_MODEL_PATH. */
  modelPath?: string;
  /** Cache directory holding `ORG/NAME/` or a hub cache (`models--ORG--NAME/`). Env: CLIP_CACHE_DIR. */
  cacheDir?: string;
  /** File variant. Default: q8 on CPU when present, fp32 otherwise. Env: CLIP_DTYPE. */
  dtype?: 'fp32' | 'fp16' | 'q8';
  /** Execution device. Default `auto`. Env: CLIP_DEVICE. */
  device?: 'auto' | 'cpu' | 'cuda' | 'tensorrt' | 'webgpu' | 'dml' | 'coreml';
  /** With an explicit accelerator, fall back to CPU instead of throwing. Default false. */
  fallback?: boolean;
  /** onnxruntime thread pools: `intra` (within an op) and `inter` (between ops), in threads. */
  threads?: { intra?: number; inter?: number };
  /** onnxruntime graph optimisation level. Default `all`. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Images or texts per inference call. Default 32. */
  batchSize?: number;
  /** Preprocessing mode: `fast` (default) or `exact`. */
  preprocessing?: 'exact' | 'fast';
  /** Worker threads that preprocess images (0: main thread). Default: half the CPUs, 2 to 4. */
  preprocessWorkers?: number;
  /** onnxruntime's CPU memory arena. Default false (less memory at peak, same speed measured). */
  cpuMemArena?: boolean;
  /** Largest image accepted, in pixels (width × height), checked before decoding. */
  maxPixels?: number;
  /** Largest encoded image accepted, in bytes. */
  maxBytes?: number;
  /** Sessions to create up front; the others are created on first use. Default both. */
  modalities?: ('image' | 'text')[];
  /** Environment to read CLIP_* / HF_* from. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

// The interface above and the schema must accept the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _schemaMatchesInterface: Same<z.input<typeof clipEmbedderOptionsSchema>, ClipEmbedderOptions> = true;
void _schemaMatchesInterface;

/** Options after validation and environment fallbacks. */
export type ResolvedOptions = z.output<typeof clipEmbedderOptionsSchema> & {
  model: string;
  device: z.output<typeof deviceSchema>;
  env: NodeJS.ProcessEnv;
};

function fail(field: string, error: z.ZodError): never {
  const issue = error.issues[0]!;
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '';
  const name = path ? `${field}.${path}` : field;
  throw new ClipError('invalid-input', `option "${name}" is invalid: ${issue.message}`, { cause: error });
}

/** Validate options and fill unset ones from CLIP_MODEL, CLIP_MODEL_PATH, CLIP_CACHE_DIR, CLIP_DTYPE, CLIP_DEVICE. */
export function resolveOptions(input: ClipEmbedderOptions = {}): ResolvedOptions {
  const parsed = clipEmbedderOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(String(issue.path[0] ?? 'options'), new z.ZodError([{ ...issue, path: issue.path.slice(1) }]));
  }
  const o = parsed.data;
  const env = (o.env ?? process.env) as NodeJS.ProcessEnv;
  const fromEnv = <T>(name: string, schema: z.ZodType<T>): T | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const r = schema.safeParse(raw);
    if (!r.success) fail(`${name} (environment)`, r.error);
    return r.data;
  };
  return {
    ...o,
    model: o.model ?? fromEnv('CLIP_MODEL', z.string().min(1)) ?? DEFAULT_MODEL,
    modelPath: o.modelPath ?? fromEnv('CLIP_MODEL_PATH', z.string().min(1)),
    cacheDir: o.cacheDir ?? fromEnv('CLIP_CACHE_DIR', z.string().min(1)),
    dtype: o.dtype ?? fromEnv('CLIP_DTYPE', dtypeSchema),
    device: o.device ?? fromEnv('CLIP_DEVICE', deviceSchema) ?? 'auto',
    env,
  };
}
