// createClipEmbedder: the local CLIP embedder. Images are preprocessed on the main thread (sharp
// works on libuv's pool) into reusable batch buffers while the previous batch runs in the inference
// worker, so decoding overlaps inference and the event loop never waits on onnxruntime.
import { ClipError } from '../errors';
import { InferenceHost, RunFailure } from '../model/inference-host';
import { companionFeeds, intFeed } from '../model/feeds';
import type { Feed } from '../model/inference-protocol';
import { loadRole, resolveSource, type LoadedRole } from '../model/load';
import { checkFiles, hasVariant, rolesFor, type ModelSource, type Role } from '../model/sources';
import { createPreprocessor, parsePreprocessorConfig, type Preprocessor } from '../preprocess';
import { ClipTokenizer } from '../tokenizer';
import { pullModel } from '../hub/pull';
import type { ClipDtype, ClipEmbedder, ClipInfo, ImageEmbeddingResult, ImageInput } from '../types';
import { BatchBufferPool } from './buffer-pool';
import { PreprocessPool } from './preprocess-pool';
import { resolveOptions, type ClipEmbedderOptions, type ResolvedOptions } from './options';

/** The local embedder: {@link ClipEmbedder} plus the model-side helpers. */
export interface LocalClipEmbedder extends ClipEmbedder {
  /** The normalised CHW `Float32Array` the vision graph receives for this image. */
  preprocess(input: ImageInput): Promise<Float32Array>;
  /** Token ids the text graph receives for this text, without padding (truncated keeping end-of-text). */
  tokenize(text: string): Promise<number[]>;
}

function abortError(signal: AbortSignal): ClipError {
  return new ClipError('timeout', `aborted: ${String(signal.reason ?? 'signal aborted')}`);
}

function isImageInput(v: unknown): v is ImageInput {
  if (typeof v === 'string' || v instanceof Uint8Array) return true;
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    (r.data instanceof Uint8Array || r.data instanceof Uint8ClampedArray) &&
    Number.isInteger(r.width) &&
    Number.isInteger(r.height) &&
    [1, 2, 3, 4].includes(r.channels as number)
  );
}

class Embedder implements LocalClipEmbedder {
  private readonly roles = new Map<Role, Promise<LoadedRole>>();
  private tokenizer?: ClipTokenizer;
  private preprocessor?: Preprocessor;
  /** Image batch buffers (each `batch × 3 × H × W` floats), shared with the workers and bounded. */
  private readonly buffers: BatchBufferPool;
  private workers?: Promise<PreprocessPool>;
  /** Embedding size seen in outputs (for graphs whose output dimension is symbolic). */
  private seenDims = 0;
  private first?: LoadedRole;
  private disposed = false;
  /** Roles whose session is ready (for the synchronous info()). */
  private readonly loadedSync = new Map<Role, LoadedRole>();

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly source: ModelSource,
    private readonly host: InferenceHost,
  ) {
    this.buffers = new BatchBufferPool(opts.maxBatchBuffers, BUFFER_IDLE_MS);
  }

  /** Session of the role that serves a modality, created on first use. */
  role(modality: 'image' | 'text'): Promise<LoadedRole> {
    if (this.disposed) return Promise.reject(new ClipError('invalid-input', 'the embedder was disposed'));
    const role = rolesFor(this.source.layout, [modality])[0]!;
    let p = this.roles.get(role);
    if (!p) {
      // Once one role found its provider, the other goes straight to it (no second failed attempt).
      const providers = this.first ? [this.first.provider] : undefined;
      p = loadRole(this.host, this.source, role, this.sessionReq(), providers).then((loaded) => {
        this.first ??= loaded;
        this.loadedSync.set(role, loaded);
        return loaded;
      });
      p.catch(() => this.roles.delete(role));
      this.roles.set(role, p);
    }
    return p;
  }

  private sessionReq() {
    const o = this.opts;
    return {
      dtype: o.dtype,
      device: o.device,
      fallback: o.fallback,
      // onnxruntime rejects keys that are present but undefined.
      session: {
        ...(o.threads?.intra !== undefined && { intraOpNumThreads: o.threads.intra }),
        ...(o.threads?.inter !== undefined && { interOpNumThreads: o.threads.inter }),
        graphOptimizationLevel: o.graphOptimizationLevel,
        enableCpuMemArena: o.cpuMemArena,
      },
    };
  }

  private getPreprocessor(): Preprocessor {
    if (!this.preprocessor) {
      if (this.source.preprocessorConfig === undefined) {
        throw new ClipError('not-found', `no preprocessing configuration in ${this.source.root}`);
      }
      this.preprocessor = createPreprocessor(parsePreprocessorConfig(this.source.preprocessorConfig), {
        mode: this.opts.preprocessing,
        maxPixels: this.opts.maxPixels,
        maxBytes: this.opts.maxBytes,
      });
    }
    return this.preprocessor;
  }

  private getTokenizer(): ClipTokenizer {
    if (!this.tokenizer) {
      if (!this.source.tokenizerPath)
        throw new ClipError('not-found', `no tokenizer.json in ${this.source.root}`);
      this.tokenizer = ClipTokenizer.fromFiles(
        this.source.tokenizerPath,
        this.source.tokenizerConfigPath,
        this.source.contextLength,
      );
    }
    return this.tokenizer;
  }

  async preprocess(input: ImageInput): Promise<Float32Array> {
    return this.getPreprocessor().toTensor(input);
  }

  async tokenize(text: string): Promise<number[]> {
    return this.getTokenizer().tokenize(text);
  }

  async embedImages(
    inputs: readonly ImageInput[],
    options?: { signal?: AbortSignal },
  ): Promise<ImageEmbeddingResult[]> {
    if (!Array.isArray(inputs))
      throw new ClipError('invalid-input', 'embedImages expects an array of images');
    const signal = options?.signal;
    const results: ImageEmbeddingResult[] = new Array(inputs.length);
    if (inputs.length === 0) return results;
    const loaded = await this.role('image');
    const v = loaded.vision!;
    const pre = this.getPreprocessor();
    const [h, w] = [pre.height, pre.width];
    if (v.size && (v.size[0] !== h || v.size[1] !== w)) {
      throw new ClipError(
        'model',
        `the vision graph takes ${v.size[0]}×${v.size[1]} images but preprocessing makes ${h}×${w}`,
      );
    }
    const chw = pre.tensorLength;
    const group = Math.max(this.opts.batchSize, v.fixedBatch ?? 1);
    const chunk = v.fixedBatch ?? group;
    const extra = companionFeeds(loaded, 'image', this.getTokenizer());

    /** Preprocess one group into a pooled buffer; failed items get their error, the rest are packed. */
    const workers = await this.getWorkers();
    const prepare = async (start: number): Promise<{ buffer?: ArrayBuffer; ok: number[] }> => {
      const items = inputs.slice(start, start + group);
      let buffer: ArrayBuffer;
      try {
        buffer = await this.buffers.acquire(group * chw * 4, signal);
      } catch (err) {
        const error = err instanceof ClipError ? err : new ClipError('model', String(err));
        items.forEach((_, i) => (results[start + i] = { error }));
        return { ok: [] };
      }
      const target = new Float32Array(buffer, 0, group * chw);
      const done = await Promise.all(
        items.map(async (input, i) => {
          if (signal?.aborted) return abortError(signal);
          if (!isImageInput(input)) {
            return new ClipError(
              'invalid-input',
              `image ${start + i}: expected bytes, a file path or raw pixels`,
            );
          }
          try {
            if (workers) await workers.toTensorInto(input, target, i * chw);
            else await pre.toTensorInto(input, target, i * chw);
            return undefined;
          } catch (err) {
            return err instanceof ClipError
              ? err
              : new ClipError('decode', `image ${start + i}: ${(err as Error).message}`, { cause: err });
          }
        }),
      );
      const ok: number[] = [];
      done.forEach((err, i) => {
        if (err) results[start + i] = { error: err };
        else {
          if (ok.length !== i) target.copyWithin(ok.length * chw, i * chw, (i + 1) * chw);
          ok.push(start + i);
        }
      });
      return { buffer, ok };
    };

    /**
     * Run a prepared group in chunks of the graph's batch. The buffer travels to the inference worker
     * and back with each chunk's reply; it returns to the pool at the end (or is written off when the
     * worker failed and kept it).
     */
    const infer = async (prepared: { buffer?: ArrayBuffer; ok: number[] }): Promise<void> => {
      let buffer = prepared.buffer;
      if (!buffer) return;
      try {
        for (let at = 0; at < prepared.ok.length && buffer; at += chunk) {
          const rows = Math.min(chunk, prepared.ok.length - at);
          const feed: Feed = {
            name: v.input,
            type: 'float32',
            data: new Float32Array(buffer, at * chw * 4, rows * chw),
            dims: [rows, 3, h, w],
            toHalf: v.inputType === 'float16',
          };
          try {
            const reply = await this.host.run(loaded.role, [feed, ...this.cloneFeeds(extra)], v.output, rows);
            buffer = reply.feedBuffers[0];
            this.seenDims = reply.dims;
            for (let r = 0; r < rows; r++) {
              results[prepared.ok[at + r]!] = {
                embedding: reply.data.slice(r * reply.dims, (r + 1) * reply.dims),
              };
            }
          } catch (err) {
            const error =
              err instanceof ClipError
                ? err
                : new ClipError('model', `inference failed: ${(err as Error).message}`, { cause: err });
            // A failed run hands the buffer back; when the worker is gone, every later chunk fails too.
            const failed = err instanceof RunFailure ? at + rows : prepared.ok.length;
            for (let r = at; r < failed; r++) results[prepared.ok[r]!] = { error };
            if (!(err instanceof RunFailure)) {
              if (feed.data.buffer.byteLength === 0) buffer = undefined; // transferred and lost
              break;
            }
            buffer = err.feedBuffers[0];
          }
        }
      } finally {
        if (buffer) this.buffers.release(buffer);
        else this.buffers.discard();
      }
    };

    let running: Promise<void> | undefined;
    try {
      for (let start = 0; start < inputs.length; start += group) {
        const prepared = await prepare(start); // overlaps the previous group's inference
        if (running) await running;
        running = infer(prepared);
      }
    } finally {
      if (running) await running;
    }
    return results;
  }

  private cloneFeeds(feeds: Feed[]): Feed[] {
    // Transferred buffers are gone after a run: send fresh copies of the (small) dummy feeds.
    return feeds.map((f) => ({ ...f, data: f.data.slice() as Feed['data'] }));
  }

  /** Preprocessing workers, started on first use (none when `preprocessWorkers` is 0). */
  private getWorkers(): Promise<PreprocessPool | undefined> {
    if (this.opts.preprocessWorkers === 0) return Promise.resolve(undefined);
    this.workers ??= PreprocessPool.start(this.opts.preprocessWorkers, {
      config: this.source.preprocessorConfig,
      options: {
        mode: this.opts.preprocessing,
        ...(this.opts.maxPixels !== undefined && { maxPixels: this.opts.maxPixels }),
        ...(this.opts.maxBytes !== undefined && { maxBytes: this.opts.maxBytes }),
      },
    });
    return this.workers;
  }

  async embedTexts(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]> {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
      throw new ClipError('invalid-input', 'embedTexts expects an array of strings');
    }
    if (texts.length === 0) return [];
    const loaded = await this.role('text');
    const t = loaded.text!;
    const tok = this.getTokenizer();
    const batch = t.fixedBatch ?? this.opts.batchSize;
    const extra = companionFeeds(loaded, 'text', this.getTokenizer());
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += batch) {
      if (options?.signal?.aborted) throw abortError(options.signal);
      const b = tok.batch(texts.slice(start, start + batch), t.fixedLength);
      const dims = [b.rows, b.length];
      const feeds: Feed[] = [intFeed(t.input, t.idType, b.ids, dims)];
      if (t.attentionMask) feeds.push(intFeed(t.attentionMask, t.maskType!, b.mask, dims));
      let reply;
      try {
        reply = await this.host.run(loaded.role, [...feeds, ...this.cloneFeeds(extra)], t.output, b.rows);
      } catch (err) {
        throw err instanceof ClipError
          ? err
          : new ClipError('model', `text inference failed: ${(err as Error).message}`, { cause: err });
      }
      this.seenDims = reply.dims;
      for (let r = 0; r < b.rows; r++) out.push(reply.data.slice(r * reply.dims, (r + 1) * reply.dims));
    }
    return out;
  }

  info(): ClipInfo {
    const first = this.first;
    const files: ClipInfo['files'] = {};
    let dims = this.seenDims;
    let loadMs = 0;
    for (const r of this.loadedSync.values()) {
      files[r.role] = r.file;
      dims ||= r.vision?.dims ?? r.text?.dims ?? this.seenDims;
      loadMs += r.loadMs;
    }
    return {
      model: this.opts.modelPath ? this.source.root : `${this.opts.model} (${this.source.root})`,
      files,
      requestedDevice: this.opts.device,
      provider: first?.provider ?? 'none',
      attempts: first?.attempts ?? [],
      dtype: first?.dtype ?? this.opts.dtype ?? 'fp32',
      dims,
      preprocessing: this.opts.preprocessing,
      loadMs: Math.round(loadMs),
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.buffers.close();
    const workers = this.workers;
    this.workers = undefined;
    await Promise.all([
      this.host.close(),
      workers?.then(
        (w) => w.close(),
        () => undefined,
      ),
    ]);
  }
}

/** A pooled batch buffer unused this long is dropped (documented with `maxBatchBuffers`). */
const BUFFER_IDLE_MS = 1000;

/** The model directory: `modelPath`, a cache holding `model`, or — with `autoDownload` — a fresh pull. */
async function locate(opts: ResolvedOptions): Promise<ModelSource> {
  try {
    return resolveSource(opts);
  } catch (err) {
    if (opts.modelPath || !opts.autoDownload || !(err instanceof ClipError) || err.code !== 'not-found')
      throw err;
  }
  const pull = (dtype: ClipDtype) =>
    pullModel({
      repo: opts.model,
      revision: opts.revision,
      dtype,
      modalities: opts.modalities,
      ...(opts.hubCache !== undefined && { cacheDir: opts.hubCache }),
      ...(opts.hub?.endpoint !== undefined && { endpoint: opts.hub.endpoint }),
      ...(opts.hub?.token !== undefined && { token: opts.hub.token }),
      ...(opts.hub?.offline !== undefined && { offline: opts.hub.offline }),
    });
  // Without an explicit dtype: the quantized files for CPU, fp32 when the repo has none.
  const preferred = opts.dtype ?? (opts.device === 'cpu' || opts.device === 'auto' ? 'q8' : 'fp32');
  const pulled = await pull(preferred).catch((err: unknown) => {
    if (opts.dtype || preferred === 'fp32' || !(err instanceof ClipError) || !/lacks/.test(err.message))
      throw err;
    return pull('fp32');
  });
  return resolveSource({ ...opts, modelPath: pulled.snapshot });
}

/**
 * Load a CLIP model and return an embedder. Sessions for `modalities` (default both) are created
 * now, so device and model errors surface here; the other modality loads on first use.
 *
 * @throws ClipError `invalid-input` (every bad option, named), `not-found` (files missing,
 *   with every place looked), `model` (not a CLIP graph, e.g. hidden states only), `device`
 *   (explicit accelerator unavailable and `fallback` not set)
 */
export async function createClipEmbedder(options: ClipEmbedderOptions = {}): Promise<LocalClipEmbedder> {
  const opts = resolveOptions(options);
  const source = await locate(opts);
  // Report every missing file at once, before any session is created.
  const roles = rolesFor(source.layout, opts.modalities);
  checkFiles(
    source,
    opts.dtype ?? (hasVariant(source.root, source.layout, 'q8', roles) ? 'q8' : 'fp32'),
    opts.modalities,
  );
  const host = await InferenceHost.start();
  const embedder = new Embedder(opts, source, host);
  try {
    for (const modality of opts.modalities) await embedder.role(modality);
  } catch (err) {
    await embedder.dispose();
    throw err;
  }
  return embedder;
}
