// The backfill's resume state: which items are done (or failed) in which store. A run resumes only
// from the part of the file that belongs to the store it writes to.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { describeZodIssues } from '@pmoves/internal';
import { QwenAudioError } from '../errors';

const progressSchema = z.object({
  /** Items finished (processed or skipped) — not revisited on resume. */
  done: z.array(z.string()),
  /** Items that failed last time — retried on resume. */
  failed: z.array(z.string()),
});

const stateSchema = z.object({
  version: z.literal(2),
  /** Progress per store identity (see `AudioAnalysisStore.identity`). */
  stores: z.record(z.string(), progressSchema),
  updatedAt: z.string(),
});

// Version 1 files had one list for whatever store was used; they are read but not trusted.
const legacySchema = progressSchema.extend({ version: z.literal(1), updatedAt: z.string() });

/** Backfill progress saved between runs. */
export type BackfillState = z.infer<typeof stateSchema>;

/** Progress of one store. */
export type StoreProgress = z.infer<typeof progressSchema>;

/** What {@link loadState} found. */
export interface LoadedState {
  /** The state (empty when there was no file). */
  state: BackfillState;
  /** Done items of a version-1 file, which names no store: not used for resuming. */
  legacyDone: number;
}

const empty = (): BackfillState => ({ version: 2, stores: {}, updatedAt: new Date(0).toISOString() });

/** Reads the state file; a missing file is an empty state, a corrupt one an error naming the field. */
export async function loadState(path: string): Promise<LoadedState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: empty(), legacyDone: 0 };
    throw new QwenAudioError('invalid-input', `cannot read state file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new QwenAudioError('invalid-input', `state file ${path} is not JSON; delete it to start over`);
  }
  const legacy = legacySchema.safeParse(json);
  if (legacy.success) return { state: empty(), legacyDone: legacy.data.done.length };
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    throw new QwenAudioError(
      'invalid-input',
      `state file ${path} is invalid: ${describeZodIssues(parsed.error.issues)}; delete it to start over`,
    );
  }
  return { state: parsed.data, legacyDone: 0 };
}

/** Writes the state atomically (temp file + rename), so a crash never leaves half a file. */
export async function saveState(path: string, state: BackfillState): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2));
  await rename(tmp, path);
}
