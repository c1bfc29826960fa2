// A work item on the queue: which media item to analyse and where its audio can be read.
import { describeZodIssues } from '@pmoves/internal';
import { z } from 'zod';
import { AudioProcessorError } from './errors';

/** One media item to analyse. `path` or `jellyfin_id` says where its audio is. */
export const workItemSchema = z
  .object({
    /** Row key in `media_audio_analysis`: the Jellyfin item id, or the file's absolute path. */
    item_id: z.string().min(1).max(512),
    /** Stored namespace; the processor's `AUDIO_PROCESSOR_NAMESPACE` when absent. */
    namespace: z.string().min(1).max(128).optional(),
    /** The file, read when it lies under `AUDIO_PROCESSOR_MEDIA_ROOTS`. */
    path: z.string().min(1).optional(),
    /** Jellyfin item to download when there is no readable `path`. */
    jellyfin_id: z.string().min(1).optional(),
    /** Display name (logs only). */
    name: z.string().optional(),
    /** Re-analyse even when audio, model and prompt version are unchanged. */
    force: z.boolean().optional(),
    /** Who enqueued it: `poller`, `backfill`, `smoke`. */
    origin: z.string().min(1).max(64),
    /** When it was enqueued (ISO-8601). */
    enqueued_at: z.iso.datetime(),
  })
  .refine((w) => w.path !== undefined || w.jellyfin_id !== undefined, {
    message: 'needs path or jellyfin_id',
    path: ['path'],
  });

/** See {@link workItemSchema}. */
export type WorkItem = z.infer<typeof workItemSchema>;

/**
 * Parses a message body.
 *
 * @throws {@link AudioProcessorError} `source`, permanent, naming the failing field.
 */
export function parseWorkItem(data: Uint8Array): WorkItem {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(data));
  } catch (cause) {
    throw new AudioProcessorError('source', 'work item is not JSON', { cause, permanent: true });
  }
  const parsed = workItemSchema.safeParse(json);
  if (!parsed.success)
    throw new AudioProcessorError('source', `invalid work item: ${describeZodIssues(parsed.error.issues)}`, {
      permanent: true,
    });
  return parsed.data;
}
