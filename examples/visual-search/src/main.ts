// The visual-search page: loads a set of thumbnails, embeds them in the browser with
// @pmoves/clip/web, and ranks them by a typed query or a dropped image. Query parameters:
//   model   model directory URL (default ./models/clip/)
//   gallery JSON list of image URLs (default ./gallery.json)
//   device  auto | webgpu | webnn | wasm (default auto)
//   dtype   fp32 | fp16 | q8 (default fp32)
//   ort     URL prefix of onnxruntime-web's wasm files (default ./ort/)
// With the generated tiny test model the scores mean nothing; with a real CLIP export they rank.
import {
  createWebClipEmbedder,
  similarities,
  type ClipDtype,
  type WebClipDevice,
  type WebClipEmbedder,
} from '@pmoves/clip/web';

interface Thumb {
  name: string;
  url: string;
  embedding?: Float32Array;
  error?: string;
}

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLDivElement>('status');
const grid = $<HTMLDivElement>('grid');
const query = $<HTMLInputElement>('query');
const file = $<HTMLInputElement>('file');
const add = $<HTMLInputElement>('add');
const drop = $<HTMLLabelElement>('drop');
const thumbs: Thumb[] = [];
let embedder: WebClipEmbedder;
let progressLine = '';

function describe(): string {
  const i = embedder.info();
  const tried = i.attempts
    .map((a) => (a.ok ? `${a.provider}: ok` : `${a.provider}: ${a.error}`))
    .join('\n  ');
  return (
    `device: ${i.provider} (asked ${i.requestedDevice}) · dtype: ${i.dtype} · threads: ${i.threads} ` +
    `(${i.threadsReason}) · pixels via ${i.pixelReader} · ${thumbs.length} thumbnails\n  ${tried}`
  );
}

function render(scores?: number[]): void {
  const order = thumbs.map((_, i) => i);
  if (scores) order.sort((a, b) => scores[b]! - scores[a]!);
  grid.replaceChildren(
    ...order.map((i, rank) => {
      const t = thumbs[i]!;
      const fig = document.createElement('figure');
      fig.dataset.name = t.name;
      const img = document.createElement('img');
      img.src = t.url;
      img.alt = t.name;
      const cap = document.createElement('figcaption');
      const left = document.createElement('span');
      left.textContent = scores ? `#${rank + 1} ${t.name}` : t.name;
      left.className = 'rank';
      const right = document.createElement('span');
      right.className = 'score';
      right.textContent = t.error ? 'error' : scores ? scores[i]!.toFixed(4) : '';
      cap.append(left, right);
      fig.append(img, cap);
      return fig;
    }),
  );
}

/** Scores of every thumbnail against a query embedding (cosine; failed thumbnails get -Infinity). */
function score(vector: Float32Array): number[] {
  const ok = thumbs.filter((t) => t.embedding);
  const s = similarities(
    vector,
    ok.map((t) => t.embedding!),
  );
  const byName = new Map(ok.map((t, i) => [t.name, s[i]!]));
  return thumbs.map((t) => byName.get(t.name) ?? -Infinity);
}

async function addThumbs(items: { name: string; blob: Blob; url: string }[]): Promise<void> {
  const results = await embedder.embedImages(items.map((i) => i.blob));
  items.forEach((item, k) => {
    const r = results[k]!;
    thumbs.push({ name: item.name, url: item.url, embedding: r.embedding, error: r.error?.message });
  });
  render();
  status.textContent = describe();
}

/** Rank by a text query; returns the thumbnail names, best first, with their scores. */
async function rankByText(text: string): Promise<{ name: string; score: number }[]> {
  const [vector] = await embedder.embedTexts([text]);
  return show(score(vector!), `query "${text}"`);
}

/** Rank by an image. */
async function rankByImage(blob: Blob): Promise<{ name: string; score: number }[]> {
  const [r] = await embedder.embedImages([blob]);
  if (!r!.embedding) throw r!.error;
  return show(score(r!.embedding), 'dropped image');
}

function show(scores: number[], what: string): { name: string; score: number }[] {
  render(scores);
  status.textContent = `${describe()}\nranked by ${what}`;
  return thumbs.map((t, i) => ({ name: t.name, score: scores[i]! })).sort((a, b) => b.score - a.score);
}

async function start(): Promise<void> {
  const base = new URL('.', location.href);
  embedder = await createWebClipEmbedder({
    modelUrl: params.get('model') ?? new URL('models/clip/', base).href,
    device: (params.get('device') ?? 'auto') as WebClipDevice,
    dtype: (params.get('dtype') ?? 'fp32') as ClipDtype,
    wasmPaths: params.get('ort') ?? new URL('ort/', base).href,
    onProgress: (e) => {
      progressLine = `${e.file}: ${e.cached ? 'from cache' : `${e.loaded}${e.total ? `/${e.total}` : ''} bytes`}`;
      status.textContent = `Loading the model… ${progressLine}`;
    },
  });
  const gallery = params.get('gallery') ?? new URL('gallery.json', base).href;
  const urls = (await (await fetch(gallery)).json()) as string[];
  const items = await Promise.all(
    urls.map(async (u) => {
      const url = new URL(u, gallery).href;
      return { name: url.split('/').pop()!, url, blob: await (await fetch(url)).blob() };
    }),
  );
  await addThumbs(items);
  for (const el of [query, file, add]) el.disabled = false;
  query.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && query.value.trim()) void rankByText(query.value.trim());
  });
  file.addEventListener('change', () => {
    if (file.files?.[0]) void rankByImage(file.files[0]);
  });
  add.addEventListener('change', () => {
    const files = [...(add.files ?? [])];
    void addThumbs(files.map((f) => ({ name: f.name, blob: f, url: URL.createObjectURL(f) })));
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) void rankByImage(f);
  });
}

/** For scripted checks (the end-to-end test): the embedder and the ranking functions. */
const ready = start().then(
  () => true,
  (err: unknown) => {
    status.textContent = `Failed: ${(err as Error).message}`;
    throw err;
  },
);
Object.assign(globalThis, {
  visualSearch: {
    ready,
    rankByText,
    rankByImage,
    api: { createWebClipEmbedder },
    get embedder() {
      return embedder;
    },
    get thumbs() {
      return thumbs;
    },
  },
});
