import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { QwenAudioError, describeZodIssues } from '../errors.js';

const stateSchema = z.object({
  version: z.literal(1),
  /** Items finished (processed or skipped) — not revisited on resume. */
  done: z.array(z.string()),
  /** Items that failed last time — retried on resume. */
  failed: z.array(z.string()),
  updatedAt: z.string(),
});

/** Backfill progress saved between runs. */
export type BackfillState = z.infer<typeof stateSchema>;

/** Reads the state file; a missing file is an empty state, a corrupt one an error naming the field. */
export async function loadState(path: string): Promise<BackfillState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { version: 1, done: [], failed: [], updatedAt: new Date(0).toISOString() };
    }
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new QwenAudioError('invalid-input', `state file ${path} is not JSON; delete it to start over`);
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    throw new QwenAudioError(
      'invalid-input',
      `state file ${path} is invalid: ${describeZodIssues(parsed.error.issues)}`,
    );
  }
  return parsed.data;
}

/** Writes the state atomically (temp file + rename), so a crash never leaves half a file. */
export async function saveState(path: string, state: BackfillState): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2));
  await rename(tmp, path);
}
