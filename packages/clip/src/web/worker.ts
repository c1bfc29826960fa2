// The module worker of the browser build: fetches the model files (Cache API, progress), creates the
// onnxruntime-web sessions (WebGPU → WebNN → WASM, each attempt recorded), decodes and preprocesses
// images with the shared Pillow resampler, tokenizes with the shared tokenizer, and runs inference,
// so the page's main thread only posts messages.
import * as ort from 'onnxruntime-web';
import { ClipError } from '../errors';
import { readContract, type TextContract, type ValueMeta, type VisionContract } from '../model/contract';
import { companionFeeds, intFeed, unitRows } from '../model/feeds';
import { floatsToHalf } from '../model/half';
import type { Feed } from '../model/inference-protocol';
import { immichPreprocessToHf, rolesFor, sideFiles, type ModelLayout, type Role } from '../model/layouts';
import {
  exactCrop,
  normalisationTables,
  outputSize,
  parsePreprocessorConfig,
  writeChw,
  type PreprocessorConfig,
} from '../preprocess/pure';
import { ClipTokenizer } from '../tokenizer/core';
import type { ProviderAttempt } from '../types';
import {
  fixedImage,
  minRowCosine,
  needsSelfCheck,
  providerPlan,
  unavailable,
  type WebProvider,
} from './devices';
import {
  baseUrl,
  checkFiles,
  detectLayout,
  fetchFile,
  findRoleFile,
  parseJson,
  roleFileNames,
  type FileSource,
} from './files';
import { pixelReader, workerPixels } from './pixels';
import type { PageRequest, WireError, WorkerImage, WorkerInit, WorkerReply } from './protocol';
import type { WebClipInfo, WebSelfCheck } from './types';

interface WorkerScope {
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<PageRequest>) => void): void;
  crossOriginIsolated?: boolean;
  location: { href: string };
}
const scope = globalThis as unknown as WorkerScope;

interface Loaded {
  role: Role;
  session: ort.InferenceSession;
  provider: WebProvider;
  url: string;
  vision?: VisionContract;
  text?: TextContract;
}

let init: WorkerInit;
let src: FileSource;
let layout: ModelLayout;
let threads = 1;
let threadsReason = '';
const attempts: ProviderAttempt[] = [];
const selfChecks: WebSelfCheck[] = [];
const roles = new Map<Role, Promise<Loaded>>();
const loadedSync = new Map<Role, Loaded>();
let firstProvider: WebProvider | undefined;
let loadMs = 0;
let dims = 0;
let preprocessor:
  | {
      config: PreprocessorConfig;
      width: number;
      height: number;
      tables: ReturnType<typeof normalisationTables>;
    }
  | undefined;
let tokenizer: ClipTokenizer | undefined;
let contextLength: number | undefined;

function info(): WebClipInfo {
  const files: WebClipInfo['files'] = {};
  for (const l of loadedSync.values()) {
    files[l.role] = l.url;
    dims ||= l.vision?.dims ?? l.text?.dims ?? 0;
  }
  return {
    model: src?.base ?? init?.modelUrl ?? '',
    layout,
    files,
    requestedDevice: init?.device ?? 'auto',
    provider: firstProvider ?? 'none',
    attempts: attempts.map((a) => ({ ...a })),
    dtype: init?.dtype ?? 'fp32',
    dims,
    preprocessing: 'exact',
    pixelReader: pixelReader(),
    threads,
    crossOriginIsolated: scope.crossOriginIsolated === true,
    threadsReason,
    selfChecks: selfChecks.map((c) => ({ ...c })),
    loadMs: Math.round(loadMs),
  };
}

function setThreads(i: WorkerInit): void {
  const isolated = scope.crossOriginIsolated === true;
  const cores = Math.max(1, Number(globalThis.navigator?.hardwareConcurrency) || 1);
  if (i.numThreads !== undefined) {
    if (!Number.isInteger(i.numThreads) || i.numThreads < 1) {
      throw new ClipError(
        'invalid-input',
        `option "numThreads" must be a positive integer, got ${i.numThreads}`,
      );
    }
    if (i.numThreads > 1 && !isolated) {
      throw new ClipError(
        'invalid-input',
        `option "numThreads" is ${i.numThreads} but the page is not cross-origin isolated (serve it with ` +
          'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), so WASM runs one thread',
      );
    }
    threads = i.numThreads;
    threadsReason = 'numThreads option';
  } else if (isolated) {
    threads = Math.min(4, cores);
    threadsReason = `cross-origin isolated: min(4, hardwareConcurrency ${cores})`;
  } else {
    threads = 1;
    threadsReason = 'not cross-origin isolated (no SharedArrayBuffer): one thread';
  }
  ort.env.wasm.numThreads = threads;
  if (i.wasmPaths) ort.env.wasm.wasmPaths = i.wasmPaths;
  ort.env.logLevel = 'error';
}

function meta(list: readonly ort.InferenceSession.ValueMetadata[]): ValueMeta[] {
  return list.map((m) => ({
    name: m.name,
    isTensor: m.isTensor,
    ...(m.isTensor ? { type: m.type, shape: Array.from(m.shape) } : {}),
  }));
}

function tensor(f: Feed): ort.Tensor {
  if (f.type === 'float32' && f.toHalf)
    return new ort.Tensor('float16', floatsToHalf(f.data as Float32Array), f.dims);
  return new ort.Tensor(f.type, f.data, f.dims);
}

/** Run a session and L2-normalise the output rows. */
async function runSession(
  session: ort.InferenceSession,
  feeds: Feed[],
  output: string,
  rows: number,
): Promise<{ data: Float32Array; dims: number }> {
  const result = await session.run(Object.fromEntries(feeds.map((f) => [f.name, tensor(f)])), [output]);
  const out = result[output]!;
  const raw = out.data as Float32Array | Uint16Array;
  const half = out.type === 'float16' && !(raw instanceof Float32Array);
  const d = out.dims[out.dims.length - 1]!;
  const data = unitRows(raw, half, rows, d);
  out.dispose();
  return { data, dims: d };
}

/** Token feeds of a batch of texts for a text contract. */
function textFeeds(t: TextContract, texts: readonly string[]): { feeds: Feed[]; rows: number } {
  const b = getTokenizer().batch(texts, t.fixedLength);
  const shape = [b.rows, b.length];
  const feeds = [intFeed(t.input, t.idType, b.ids, shape)];
  if (t.attentionMask) feeds.push(intFeed(t.attentionMask, t.maskType!, b.mask, shape));
  return { feeds, rows: b.rows };
}

/** The fixed self-check run of a session: one image or one text, whichever the role serves. */
async function selfCheckRun(
  session: ort.InferenceSession,
  l: Omit<Loaded, 'session' | 'provider'>,
): Promise<{ data: Float32Array; dims: number }> {
  const probe = { ...l, session, provider: 'wasm' as const };
  if (l.vision) {
    const [h, w] = l.vision.size ?? [224, 224];
    const feed: Feed = {
      name: l.vision.input,
      type: 'float32',
      data: fixedImage(3 * h * w),
      dims: [1, 3, h, w],
      toHalf: l.vision.inputType === 'float16',
    };
    return runSession(session, [feed, ...companionFeeds(probe, 'image', getTokenizer())], l.vision.output, 1);
  }
  const { feeds } = textFeeds(l.text!, ['a photo of a cat']);
  return runSession(session, feeds, l.text!.output, 1);
}

async function createSession(bytes: Uint8Array, provider: WebProvider): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
  });
}

async function loadRole(role: Role): Promise<Loaded> {
  const started = performance.now();
  const file =
    (await findRoleFile(src, layout, role, init.dtype)) ?? roleFileNames(layout, role, init.dtype)[0]!;
  const url = new URL(file, src.base).href;
  const bytes = (await fetchFile(src, file))!;
  const plan = firstProvider ? [firstProvider] : providerPlan(init.device, init.fallback);
  let wasmSession: ort.InferenceSession | undefined;
  // This role's attempts; info() reports the first role's (a later role goes straight to its provider).
  const tried: ProviderAttempt[] = [];
  for (const provider of plan) {
    const why = await unavailable(provider, init.dtype);
    if (why) {
      tried.push({ provider, ok: false, error: why });
      continue;
    }
    let session: ort.InferenceSession;
    try {
      session = provider === 'wasm' && wasmSession ? wasmSession : await createSession(bytes, provider);
    } catch (err) {
      tried.push({ provider, ok: false, error: String((err as Error)?.message ?? err) });
      continue;
    }
    const contract = readContract(url, role, meta(session.inputMetadata), meta(session.outputMetadata));
    if (needsSelfCheck(provider, init.dtype)) {
      try {
        wasmSession = await createSession(bytes, 'wasm');
        const base = { role, url, ...contract };
        const [gpu, cpu] = [await selfCheckRun(session, base), await selfCheckRun(wasmSession, base)];
        const cosine = minRowCosine(gpu.data, cpu.data, gpu.dims);
        const passed = cosine >= init.selfCheckMinCosine;
        selfChecks.push({ role, cosine, minCosine: init.selfCheckMinCosine, passed });
        if (!passed) {
          await session.release();
          tried.push({
            provider,
            ok: false,
            error: `self-check failed: ${init.dtype} output on WebGPU has cosine ${cosine.toFixed(5)} to WASM's on a fixed input (< ${init.selfCheckMinCosine})`,
          });
          continue;
        }
        await wasmSession.release();
        wasmSession = undefined;
      } catch (err) {
        await session.release();
        tried.push({ provider, ok: false, error: `self-check could not run: ${(err as Error).message}` });
        continue;
      }
    }
    tried.push({ provider, ok: true });
    if (!firstProvider) {
      firstProvider = provider;
      attempts.push(...tried);
    }
    const loaded: Loaded = { role, session, provider, url, ...contract };
    loadedSync.set(role, loaded);
    loadMs += performance.now() - started;
    return loaded;
  }
  await wasmSession?.release();
  const summary = tried.map((a) => `${a.provider}: ${a.error}`).join('; ');
  throw new ClipError(
    'device',
    `no execution provider could be created for device "${init.device}" (${summary})` +
      (init.device === 'auto' || init.fallback
        ? ''
        : '. Set fallback: true or device: "auto" to fall back to WASM'),
  );
}

function role(modality: 'image' | 'text'): Promise<Loaded> {
  const r = rolesFor(layout, [modality])[0]!;
  let p = roles.get(r);
  if (!p) {
    p = loadRole(r);
    p.catch(() => roles.delete(r));
    roles.set(r, p);
  }
  return p;
}

async function loadSideFiles(modalities: readonly ('image' | 'text')[]): Promise<void> {
  const side = sideFiles(layout);
  const cfg = await fetchFile(src, side.config, true);
  if (cfg) {
    const json = parseJson(side.config, cfg) as {
      text_cfg?: { context_length?: number };
      text_config?: { max_position_embeddings?: number };
    };
    const ctx =
      layout === 'immich' ? json.text_cfg?.context_length : json.text_config?.max_position_embeddings;
    if (typeof ctx === 'number') contextLength = ctx;
  }
  if (modalities.includes('image') && !preprocessor) {
    const bytes = (await fetchFile(src, side.preprocessor))!;
    let json = parseJson(side.preprocessor, bytes);
    if (layout === 'immich') json = immichPreprocessToHf(json as Record<string, unknown>, side.preprocessor);
    const config = parsePreprocessorConfig(json);
    preprocessor = { config, ...outputSize(config), tables: normalisationTables(config) };
  }
  if (modalities.includes('text') && !tokenizer) {
    const json = parseJson(side.tokenizer, (await fetchFile(src, side.tokenizer))!);
    const configBytes = await fetchFile(src, side.tokenizerConfig, true);
    tokenizer = ClipTokenizer.fromJson(
      json,
      configBytes ? parseJson(side.tokenizerConfig, configBytes) : undefined,
      contextLength,
    );
  }
}

function getTokenizer(): ClipTokenizer {
  if (!tokenizer)
    throw new ClipError('not-found', `no ${sideFiles(layout).tokenizer} loaded from ${src.base}`);
  return tokenizer;
}

function getPreprocessor(): NonNullable<typeof preprocessor> {
  if (!preprocessor)
    throw new ClipError('not-found', `no ${sideFiles(layout).preprocessor} loaded from ${src.base}`);
  return preprocessor;
}

async function rgbCrop(image: WorkerImage): Promise<Uint8Array> {
  const pre = getPreprocessor();
  return exactCrop(await workerPixels(image, init), pre.config);
}

async function embedImages(
  images: WorkerImage[],
): Promise<({ embedding: Float32Array } | { error: WireError })[]> {
  const results: ({ embedding: Float32Array } | { error: WireError })[] = new Array(images.length);
  if (images.length === 0) return results;
  await loadSideFiles(['image']);
  const l = await role('image');
  const v = l.vision!;
  const pre = getPreprocessor();
  if (v.size && (v.size[0] !== pre.height || v.size[1] !== pre.width)) {
    throw new ClipError(
      'model',
      `the vision graph takes ${v.size[0]}×${v.size[1]} images but preprocessing makes ${pre.height}×${pre.width}`,
    );
  }
  const chw = 3 * pre.width * pre.height;
  const chunk = v.fixedBatch ?? init.batchSize;
  for (let start = 0; start < images.length; start += chunk) {
    const items = images.slice(start, start + chunk);
    const target = new Float32Array(items.length * chw);
    const ok: number[] = [];
    for (let i = 0; i < items.length; i++) {
      try {
        writeChw(await rgbCrop(items[i]!), pre.width * pre.height, pre.tables, target, ok.length * chw);
        ok.push(start + i);
      } catch (err) {
        results[start + i] = { error: wire(err) };
      }
    }
    if (ok.length === 0) continue;
    const rows = v.fixedBatch ?? ok.length;
    const data =
      rows === ok.length ? target.subarray(0, ok.length * chw) : padded(target, ok.length * chw, rows * chw);
    try {
      const feed: Feed = {
        name: v.input,
        type: 'float32',
        data,
        dims: [rows, 3, pre.height, pre.width],
        toHalf: v.inputType === 'float16',
      };
      const out = await runSession(
        l.session,
        [feed, ...companionFeeds(l, 'image', getTokenizer())],
        v.output,
        ok.length,
      );
      dims = out.dims;
      ok.forEach(
        (index, r) => (results[index] = { embedding: out.data.slice(r * out.dims, (r + 1) * out.dims) }),
      );
    } catch (err) {
      const error = wire(
        new ClipError('model', `inference failed: ${(err as Error).message}`, { cause: err }),
      );
      for (const index of ok) results[index] = { error };
    }
  }
  return results;
}

function padded(data: Float32Array, used: number, length: number): Float32Array {
  const out = new Float32Array(length);
  out.set(data.subarray(0, used));
  return out;
}

async function embedTexts(texts: string[]): Promise<Float32Array[]> {
  if (texts.length === 0) return [];
  await loadSideFiles(['text']);
  const l = await role('text');
  const t = l.text!;
  const batch = t.fixedBatch ?? init.batchSize;
  const out: Float32Array[] = [];
  for (let start = 0; start < texts.length; start += batch) {
    const { feeds, rows } = textFeeds(t, texts.slice(start, start + batch));
    let r;
    try {
      r = await runSession(
        l.session,
        [...feeds, ...companionFeeds(l, 'text', getTokenizer())],
        t.output,
        rows,
      );
    } catch (err) {
      throw new ClipError('model', `text inference failed: ${(err as Error).message}`, { cause: err });
    }
    dims = r.dims;
    for (let i = 0; i < rows; i++) out.push(r.data.slice(i * r.dims, (i + 1) * r.dims));
  }
  return out;
}

function wire(err: unknown): WireError {
  if (err instanceof ClipError) return { code: err.code, message: err.message };
  return { code: 'model', message: String((err as Error)?.message ?? err) };
}

async function handle(msg: PageRequest): Promise<{ value: unknown; transfer: Transferable[] }> {
  switch (msg.kind) {
    case 'init': {
      init = msg.init;
      setThreads(init);
      src = {
        base: baseUrl(init.modelUrl, scope.location.href),
        cache: init.cache,
        onProgress: (event) => scope.postMessage({ kind: 'progress', id: 0, event }),
      };
      layout = await detectLayout(src, init.dtype, init.modalities, init.layout);
      await checkFiles(src, layout, init.dtype, init.modalities);
      await loadSideFiles(init.modalities);
      for (const m of init.modalities) await role(m);
      return { value: null, transfer: [] };
    }
    case 'load':
      await loadSideFiles([msg.modality]);
      await role(msg.modality);
      return { value: null, transfer: [] };
    case 'images': {
      const results = await embedImages(msg.images);
      return {
        value: results,
        transfer: results.flatMap((r) => ('embedding' in r ? [r.embedding.buffer as ArrayBuffer] : [])),
      };
    }
    case 'texts': {
      const vectors = await embedTexts(msg.texts);
      return { value: vectors, transfer: vectors.map((v) => v.buffer as ArrayBuffer) };
    }
    case 'preprocess': {
      await loadSideFiles(['image']);
      const crop = await rgbCrop(msg.image);
      const pre = getPreprocessor();
      if (msg.rgb) {
        return {
          value: { data: crop, width: pre.width, height: pre.height },
          transfer: [crop.buffer as ArrayBuffer],
        };
      }
      const tensorOut = new Float32Array(3 * pre.width * pre.height);
      writeChw(crop, pre.width * pre.height, pre.tables, tensorOut, 0);
      return { value: tensorOut, transfer: [tensorOut.buffer] };
    }
    case 'tokenize':
      await loadSideFiles(['text']);
      return { value: getTokenizer().tokenize(msg.text), transfer: [] };
    case 'dispose':
      for (const l of loadedSync.values()) await l.session.release();
      loadedSync.clear();
      roles.clear();
      return { value: null, transfer: [] };
  }
}

// One request at a time, in arrival order: onnxruntime-web runs one session call at a time anyway.
let queue: Promise<void> = Promise.resolve();
scope.addEventListener('message', (event) => {
  const msg = event.data;
  queue = queue.then(async () => {
    try {
      const { value, transfer } = await handle(msg);
      scope.postMessage({ kind: 'ok', id: msg.id, value, info: info() }, transfer);
    } catch (err) {
      scope.postMessage({ kind: 'error', id: msg.id, error: wire(err) });
    }
  });
});
