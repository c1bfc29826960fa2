// The small steps every clip parser shares: read only the variables that are set, wrap a reader's
// issues in one ClipError('config'), and fold another parser's config error into a reader, so
// that one error names every bad variable.
import type { EnvField, EnvIssue, EnvReader } from '@pmoves/internal';
import { ClipError, isClipError } from '../errors';

/** The error every clip parser throws: `config`, the message naming every bad variable, `issues` each. */
export const configError = (message: string, issues: readonly EnvIssue[]): ClipError =>
  new ClipError('config', message, { issues });

/** The fields of `group` whose variable is set, by key: options keep their own defaults. */
export function setFields<K extends string>(
  reader: EnvReader,
  group: Record<K, EnvField<unknown, unknown>>,
): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {};
  for (const [key, f] of Object.entries(group) as [K, EnvField<unknown, unknown>][]) {
    if (!reader.has(f.info.name)) continue;
    const value = reader.get(f);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Runs another clip parser on the same environment and records its issues in `reader` (returning
 * `fallback`), so the caller's one error names every bad variable. Anything but a `config`
 * ClipError is rethrown.
 */
export function absorbConfig<T>(reader: EnvReader, parse: () => T, fallback: T): T {
  try {
    return parse();
  } catch (err) {
    if (!isClipError(err) || err.code !== 'config' || err.issues.length === 0) throw err;
    reader.absorb(err.issues);
    return fallback;
  }
}
