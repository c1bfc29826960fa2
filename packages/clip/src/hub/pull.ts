// pullModel: download a CLIP model from the Hugging Face hub (or a mirror) into the standard hub
// cache, speaking the hub's own protocol as huggingface_hub does (file_download.py):
//   GET  {endpoint}/api/models/{repo}/revision/{revision}      → the commit (`sha`) and file list
//   HEAD {endpoint}/{repo}/resolve/{commit}/{file}              → X-Repo-Commit, ETag / X-Linked-Etag,
//        X-Linked-Size / Content-Length; LFS files answer 302 to a content (CDN) URL, a renamed repo
//        a relative redirect, which is followed
//   GET  the content URL, with `Range: bytes=N-` to resume a partial download
// Blobs are named by their ETag — the sha256 of an LFS file, the git blob sha1 of a small one — and
// each is verified against it before it is moved into place; snapshots/<commit>/<file> links to the
// blob and refs/<revision> names the commit, so Python tools share the cache.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { copyFile, open, readdir, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';
import { ClipError } from '../errors';
import { DEFAULT_HUB_CACHE, repoPaths } from '../model/hub-cache';
import { checkFiles, describeSource, detectLayout, hubSnapshot } from '../model/sources';
import type { ClipDtype } from '../types';
import { neededFiles, planFiles } from './files';

/** Options of {@link pullModel}. */
export interface PullModelOptions {
  /** Hub repo id, `ORG/NAME` (e.g. `Xenova/clip-vit-base-patch32`). */
  repo: string;
  /** Branch, tag or commit. Default `main`. */
  revision?: string;
  /** Precision of the graphs pulled. Default `q8` (on CPU the embedder prefers it). */
  dtype?: ClipDtype;
  /** Towers pulled. Default both. */
  modalities?: ('image' | 'text')[];
  /** Hub cache written (`models--ORG--NAME/…`). Default `~/.cache/huggingface/hub`. */
  cacheDir?: string;
  /** Hub or mirror. Default https://huggingface.co (`HF_ENDPOINT`). */
  endpoint?: string;
  /** Access token for gated or private repos (`HF_TOKEN`), sent to the hub only, never to a CDN. */
  token?: string;
  /** Never contact the hub: use the cache or fail listing what is missing (`HF_HUB_OFFLINE`). */
  offline?: boolean;
  /** Timeout to connect and to wait for each answer's headers, ms. Default 10 000. */
  timeoutMs?: number;
  /** Longest pause while a body streams, ms. Default 60 000. */
  idleTimeoutMs?: number;
  /** Progress of each file. */
  onProgress?: (event: PullProgress) => void;
  /** Cancels the pull (a partial file is kept and resumed next time). */
  signal?: AbortSignal;
}

/** Progress of {@link pullModel}. */
export type PullProgress =
  | { kind: 'plan'; repo: string; commit: string; files: string[] }
  | { kind: 'cached'; file: string; size: number }
  | { kind: 'start'; file: string; size: number; resumeFrom: number }
  | { kind: 'bytes'; file: string; received: number; size: number }
  | { kind: 'done'; file: string; size: number };

/** One file of a pulled snapshot. */
export interface PulledFile {
  /** Repo-relative path. */
  path: string;
  /** Bytes. */
  size: number;
  /** The blob's ETag (sha256 for LFS files, git sha1 otherwise). */
  etag: string;
  /** `downloaded` (now), `resumed` (continued from a partial file) or `cached` (already there). */
  source: 'downloaded' | 'resumed' | 'cached';
}

/** What {@link pullModel} placed. */
export interface PullModelResult {
  repo: string;
  revision: string;
  /** The commit the snapshot pins. */
  commit: string;
  /** `…/models--ORG--NAME/snapshots/<commit>`: a model directory to load. */
  snapshot: string;
  files: PulledFile[];
}

const REPO_ID = /^[\w.-]+\/[\w.-]+$/;
const COMMIT = /^[0-9a-f]{40}$/;

function checkRepo(repo: string): void {
  if (!REPO_ID.test(repo) || repo.includes('..')) {
    throw new ClipError(
      'invalid-input',
      `repo must be ORG/NAME (letters, digits, '.', '_', '-'); got ${JSON.stringify(repo)}`,
    );
  }
}

function safePath(file: string): string {
  if (file.startsWith('/') || file.split('/').some((p) => p === '..' || p === '')) {
    throw new ClipError('fetch', `the hub listed an unsafe file name ${JSON.stringify(file)}`);
  }
  return file;
}

/** How to provide a model without the hub, for the offline error. */
function offlineHelp(repo: string, cache: string): string {
  return (
    `To provide them: run \`pmoves-clip pull ${repo}\` where the hub is reachable and mount or copy its ` +
    `hub cache (models--${repo.replace('/', '--')}/) into ${cache}, or point CLIP_MODEL_PATH at a model directory.`
  );
}

/** The cached snapshot of a revision, when it holds everything the dtype needs. */
function completeSnapshot(
  cache: string,
  repo: string,
  revision: string,
  dtype: ClipDtype,
  modalities: ('image' | 'text')[],
): { dir?: string; missing: string[] } {
  const dir = hubSnapshot(cache, repo, revision);
  const layout = dir ? detectLayout(dir) : undefined;
  if (!dir || !layout) return { missing: neededFiles('xenova-split', dtype, modalities) };
  try {
    checkFiles(describeSource(dir, layout), dtype, modalities);
    return { dir, missing: [] };
  } catch (err) {
    return { dir, missing: [String((err as Error).message)] };
  }
}

function offlineError(
  repo: string,
  revision: string,
  cache: string,
  missing: string[],
  why: string,
): ClipError {
  return new ClipError(
    'not-found',
    `${why}, and the hub cache ${cache} has no complete copy of ${repo}@${revision}: missing ${missing.join('; ')}. ` +
      offlineHelp(repo, cache),
  );
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** huggingface_hub's _normalize_etag: drop a weak `W/` prefix and the quotes. */
function normalizeEtag(etag: string | undefined): string | undefined {
  return etag?.replace(/^W\//, '').replace(/^"|"$/g, '');
}

interface FileMeta {
  commit: string;
  etag: string;
  size: number;
  /** Where the bytes are (the CDN URL an LFS file redirects to, or the resolve URL). */
  location: string;
}

/** The hub's HTTP side of one pull. */
class HubClient {
  private readonly agent: Agent;
  private readonly endpoint: URL;

  constructor(
    endpoint: string,
    private readonly token: string | undefined,
    timeoutMs: number,
    idleTimeoutMs: number,
    private readonly signal?: AbortSignal,
  ) {
    this.endpoint = new URL(endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
    this.agent = new Agent({
      connectTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      bodyTimeout: idleTimeoutMs,
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /** Headers for a URL: the token only to the hub's own host (a CDN URL is signed). */
  private headers(url: URL, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': 'pmoves-clip-pull/1', ...extra };
    if (this.token && url.host === this.endpoint.host) h.authorization = `Bearer ${this.token}`;
    return h;
  }

  private async send(
    method: 'GET' | 'HEAD',
    url: URL,
    extra?: Record<string, string>,
  ): Promise<Dispatcher.ResponseData> {
    try {
      return await request(url, {
        method,
        headers: this.headers(url, extra),
        dispatcher: this.agent,
        signal: this.signal,
      });
    } catch (err) {
      throw new HubUnreachable(url, err);
    }
  }

  private async failure(res: Dispatcher.ResponseData, what: string): Promise<never> {
    const body = await res.body.text().catch(() => '');
    const status = res.statusCode;
    const hint =
      status === 401 || status === 403
        ? ' (a gated or private repo needs a token: HF_TOKEN)'
        : status === 404
          ? ' (no such repo, revision or file)'
          : '';
    throw new ClipError(
      'fetch',
      `${what} answered HTTP ${status}${hint}${body ? `: ${body.slice(0, 200)}` : ''}`,
    );
  }

  /** The commit a revision points to and the repo's files. */
  async list(repo: string, revision: string): Promise<{ commit: string; files: string[] }> {
    const url = new URL(`api/models/${repo}/revision/${encodeURIComponent(revision)}`, this.endpoint);
    const res = await this.send('GET', url);
    if (res.statusCode !== 200) await this.failure(res, `listing ${repo}@${revision}`);
    const info = (await res.body.json()) as { sha?: unknown; siblings?: { rfilename?: unknown }[] };
    if (typeof info.sha !== 'string' || !COMMIT.test(info.sha) || !Array.isArray(info.siblings)) {
      throw new ClipError('fetch', `the hub's listing of ${repo}@${revision} has no commit sha or file list`);
    }
    const files = info.siblings.map((s) => s.rfilename).filter((f): f is string => typeof f === 'string');
    return { commit: info.sha, files };
  }

  /** HEAD the resolve URL, following relative redirects (a renamed repo) but not absolute ones (the CDN). */
  async meta(repo: string, commit: string, file: string): Promise<FileMeta> {
    let url = new URL(
      `${repo}/resolve/${commit}/${file.split('/').map(encodeURIComponent).join('/')}`,
      this.endpoint,
    );
    for (let hop = 0; ; hop++) {
      const res = await this.send('HEAD', url, { 'accept-encoding': 'identity' });
      await res.body.dump();
      const location = header(res.headers, 'location');
      const relativeRedirect =
        res.statusCode >= 300 && res.statusCode < 400 && location && !/^[a-z][a-z0-9+.-]*:/i.test(location);
      if (relativeRedirect && hop < 5) {
        url = new URL(location, url);
        continue;
      }
      if (res.statusCode >= 400) await this.failure(res, `${repo}/${file}`);
      const commitSeen = header(res.headers, 'x-repo-commit');
      const etag = normalizeEtag(header(res.headers, 'x-linked-etag') ?? header(res.headers, 'etag'));
      const size = Number(header(res.headers, 'x-linked-size') ?? header(res.headers, 'content-length'));
      if (!commitSeen)
        throw new ClipError(
          'fetch',
          `${url.origin} did not send X-Repo-Commit for ${file}: not a Hugging Face hub?`,
        );
      if (commitSeen !== commit) {
        throw new ClipError(
          'fetch',
          `${file} resolved to commit ${commitSeen}, not the listed ${commit}: the repo changed during the pull; pull again`,
        );
      }
      if (!etag) throw new ClipError('fetch', `${repo}/${file} has no ETag: its download cannot be verified`);
      if (!Number.isSafeInteger(size) || size < 0)
        throw new ClipError('fetch', `${repo}/${file} has no size`);
      return { commit: commitSeen, etag, size, location: location ? new URL(location, url).href : url.href };
    }
  }

  /** GET the bytes, from `from` on when resuming; follows redirects; the body is the caller's. */
  async get(location: string, from: number): Promise<Dispatcher.ResponseData> {
    let url = new URL(location);
    for (let hop = 0; ; hop++) {
      const res = await this.send('GET', url, {
        'accept-encoding': 'identity',
        ...(from > 0 ? { range: `bytes=${from}-` } : {}),
      });
      const next = header(res.headers, 'location');
      if (res.statusCode >= 300 && res.statusCode < 400 && next && hop < 5) {
        await res.body.dump();
        url = new URL(next, url);
        continue;
      }
      if (res.statusCode !== 200 && res.statusCode !== 206)
        await this.failure(res, `downloading ${url.origin}${url.pathname}`);
      return res;
    }
  }
}

/** The hub could not be reached (DNS, refused, timeout): the offline path applies. */
class HubUnreachable extends Error {
  constructor(
    readonly url: URL,
    cause: unknown,
  ) {
    const reason = (cause as { code?: string })?.code ?? (cause as Error)?.message ?? String(cause);
    super(`cannot reach ${url.origin} (${reason})`, { cause });
  }
}

/** What an ETag promises about the content: a sha256 (LFS), a git blob sha1, or nothing checkable. */
function digestFor(
  etag: string,
  size: number,
): { hash: ReturnType<typeof createHash>; kind: string } | undefined {
  if (/^[0-9a-f]{64}$/.test(etag)) return { hash: createHash('sha256'), kind: 'sha256' };
  if (/^[0-9a-f]{40}$/.test(etag)) {
    const hash = createHash('sha1');
    hash.update(`blob ${size}\0`);
    return { hash, kind: 'git sha1' };
  }
  return undefined;
}

async function hashInto(path: string, hash: ReturnType<typeof createHash>): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/** A blob already in the cache is trusted only if it still matches its name. */
async function blobValid(path: string, etag: string, size: number): Promise<boolean> {
  const s = await stat(path).catch(() => undefined);
  if (!s || s.size !== size) return false;
  const digest = digestFor(etag, size);
  if (!digest) return true;
  await hashInto(path, digest.hash);
  return digest.hash.digest('hex') === etag;
}

/** Download one blob into `<blob>.incomplete`, resuming it, verify it and move it into place. */
async function downloadBlob(
  client: HubClient,
  meta: FileMeta,
  file: string,
  blob: string,
  onProgress: PullModelOptions['onProgress'],
): Promise<'downloaded' | 'resumed'> {
  const partial = `${blob}.incomplete`;
  let from = (await stat(partial).catch(() => undefined))?.size ?? 0;
  if (from > meta.size) {
    await rm(partial, { force: true });
    from = 0;
  }
  const res = await client.get(meta.location, from);
  if (res.statusCode === 200 && from > 0) from = 0; // the server ignored the range: start over
  if (res.statusCode === 206) {
    const range = /^bytes (\d+)-/.exec(header(res.headers, 'content-range') ?? '');
    if (!range || Number(range[1]) !== from) {
      await res.body.dump();
      throw new ClipError('fetch', `${file}: the server answered a range other than bytes=${from}-`);
    }
  }
  onProgress?.({ kind: 'start', file, size: meta.size, resumeFrom: from });
  const digest = digestFor(meta.etag, meta.size);
  if (digest && from > 0) {
    await hashInto(partial, digest.hash);
  }
  const handle = await open(partial, from > 0 ? 'a' : 'w');
  let received = from;
  try {
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      received += buf.length;
      if (received > meta.size)
        throw new ClipError('fetch', `${file}: more than the ${meta.size} bytes announced`);
      digest?.hash.update(buf);
      await handle.write(buf);
      onProgress?.({ kind: 'bytes', file, received, size: meta.size });
    }
  } catch (err) {
    // What arrived is kept for the next pull to resume; the error names the file.
    await handle.close();
    if (err instanceof ClipError) throw err;
    throw new ClipError(
      'fetch',
      `${file}: the transfer broke off after ${received} of ${meta.size} bytes (${(err as Error).message}); pull again to resume`,
      { cause: err },
    );
  }
  await handle.close();
  if (received !== meta.size) {
    throw new ClipError(
      'fetch',
      `${file}: the transfer ended after ${received} of ${meta.size} bytes; pull again to resume`,
    );
  }
  if (digest) {
    const got = digest.hash.digest('hex');
    if (got !== meta.etag) {
      await rm(partial, { force: true });
      throw new ClipError(
        'fetch',
        `${file} is corrupt: its ${digest.kind} is ${got}, the hub's ETag says ${meta.etag}; the download was discarded`,
      );
    }
  }
  await rename(partial, blob);
  return from > 0 ? 'resumed' : 'downloaded';
}

/** snapshots/<commit>/<file> → the blob, as a relative symlink (a copy where links are refused). */
async function link(blob: string, pointer: string): Promise<void> {
  mkdirSync(dirname(pointer), { recursive: true });
  const target = relative(dirname(pointer), blob);
  if ((await readlink(pointer).catch(() => undefined)) === target) return;
  const tmp = `${pointer}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  try {
    await symlink(target, tmp);
  } catch {
    await copyFile(blob, tmp);
  }
  await rename(tmp, pointer);
}

async function writeAtomic(path: string, text: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/**
 * Pull the files a CLIP model needs (for `dtype` and `modalities`, in the repo's layout) into a
 * Hugging Face hub cache, resuming partial downloads and verifying each file against its ETag.
 * Offline (or with the hub unreachable) it answers from the cache or fails at once listing what is
 * missing and how to provide it.
 *
 * @throws ClipError `invalid-input` (repo id), `not-found` (the repo lacks the files, or offline and
 *   not cached), `fetch` (HTTP errors, a corrupt or broken-off transfer, the repo changed meanwhile)
 */
export async function pullModel(options: PullModelOptions): Promise<PullModelResult> {
  const repo = options.repo;
  checkRepo(repo);
  const revision = options.revision ?? 'main';
  const dtype = options.dtype ?? 'q8';
  const modalities = options.modalities ?? ['image', 'text'];
  const cache = options.cacheDir ?? DEFAULT_HUB_CACHE;
  const endpoint = options.endpoint ?? 'https://huggingface.co';
  const paths = repoPaths(cache, repo);

  if (options.offline) {
    const found = completeSnapshot(cache, repo, revision, dtype, modalities);
    if (found.dir && found.missing.length === 0) return cachedResult(repo, revision, found.dir);
    throw offlineError(repo, revision, cache, found.missing, 'offline (HF_HUB_OFFLINE)');
  }

  const client = new HubClient(
    endpoint,
    options.token,
    options.timeoutMs ?? 10_000,
    options.idleTimeoutMs ?? 60_000,
    options.signal,
  );
  try {
    let listing: { commit: string; files: string[] };
    try {
      listing = await client.list(repo, revision);
    } catch (err) {
      if (!(err instanceof HubUnreachable)) throw err;
      const found = completeSnapshot(cache, repo, revision, dtype, modalities);
      if (found.dir && found.missing.length === 0) return cachedResult(repo, revision, found.dir);
      throw offlineError(repo, revision, cache, found.missing, err.message);
    }
    const plan = planFiles(repo, listing.files.map(safePath), dtype, modalities);
    const commit = listing.commit;
    options.onProgress?.({ kind: 'plan', repo, commit, files: plan.files });
    mkdirSync(paths.blobs, { recursive: true });
    const files: PulledFile[] = [];
    for (const file of plan.files) {
      const pointer = join(paths.snapshot(commit), file);
      const meta = await client.meta(repo, commit, file).catch((err: unknown) => {
        throw err instanceof HubUnreachable
          ? new ClipError('fetch', `${err.message} while pulling ${file}; pull again to resume`, {
              cause: err,
            })
          : err;
      });
      const blob = join(paths.blobs, meta.etag);
      let source: PulledFile['source'] = 'cached';
      if (!(await blobValid(blob, meta.etag, meta.size))) {
        await rm(blob, { force: true });
        source = await downloadBlob(client, meta, file, blob, options.onProgress).catch((err: unknown) => {
          throw err instanceof HubUnreachable
            ? new ClipError('fetch', `${err.message} while pulling ${file}; pull again to resume`, {
                cause: err,
              })
            : err;
        });
        options.onProgress?.({ kind: 'done', file, size: meta.size });
      } else {
        options.onProgress?.({ kind: 'cached', file, size: meta.size });
      }
      await link(blob, pointer);
      files.push({ path: file, size: meta.size, etag: meta.etag, source });
    }
    if (revision !== commit) await writeAtomic(paths.ref(revision), commit);
    return { repo, revision, commit, snapshot: paths.snapshot(commit), files };
  } finally {
    await client.close();
  }
}

/** A snapshot answered from the cache (offline): its files, each named by the blob it links to. */
async function cachedResult(repo: string, revision: string, dir: string): Promise<PullModelResult> {
  const files: PulledFile[] = [];
  const walk = async (sub: string): Promise<void> => {
    for (const entry of await readdir(join(dir, sub), { withFileTypes: true })) {
      const path = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path);
      else {
        const full = join(dir, path);
        const target = await readlink(full).catch(() => undefined);
        files.push({
          path,
          size: (await stat(full)).size,
          etag: target ? basename(target) : '',
          source: 'cached',
        });
      }
    }
  };
  await walk('');
  return { repo, revision, commit: basename(dir), snapshot: dir, files };
}
