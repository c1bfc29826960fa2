// Start-up configuration of the example services: the declarative fields of @pmoves/internal read
// through one EnvReader, so a service refuses to start with one message naming every bad
// variable — its own and those the packages' parsers reject.
import { EnvReader, formatEnvIssues, type Env, type EnvIssue } from '@pmoves/internal';

/** A service's environment is invalid; `issues` names each bad variable. */
export class ExampleConfigError extends Error {
  /** Stable code, as the packages' error classes have. */
  readonly code = 'config';
  /** @param message - names every bad variable; @param issues - one entry per bad variable */
  constructor(
    message: string,
    readonly issues: readonly EnvIssue[] = [],
  ) {
    super(message);
    this.name = 'ExampleConfigError';
  }
}

/**
 * Reads a service's configuration with `read` and throws one {@link ExampleConfigError} naming
 * every bad variable it recorded.
 */
export function readConfig<T>(env: Env, read: (reader: EnvReader) => T): { config: T; warnings: string[] } {
  const reader = new EnvReader(env);
  const config = read(reader);
  reader.finish((message, issues) => new ExampleConfigError(message, issues));
  return { config, warnings: [...reader.warnings] };
}

/**
 * Runs a package's own environment parser inside a reader: a configuration error it throws is
 * recorded as an issue (so it is reported with the service's own bad variables) and `undefined`
 * is returned. Any other error is thrown as is.
 */
export function absorb<T>(
  reader: EnvReader,
  label: string,
  parse: () => T,
  isConfigError: (err: unknown) => boolean,
): T | undefined {
  try {
    return parse();
  } catch (err) {
    record(reader, label, err, isConfigError);
    return undefined;
  }
}

/** {@link absorb} for an asynchronous parser (e.g. `@pmoves/rerank`'s `rerankerOptionsFromEnv`). */
export async function absorbAsync<T>(
  reader: EnvReader,
  label: string,
  parse: () => Promise<T>,
  isConfigError: (err: unknown) => boolean,
): Promise<T | undefined> {
  try {
    return await parse();
  } catch (err) {
    record(reader, label, err, isConfigError);
    return undefined;
  }
}

/** Records a package's configuration error as issues (its own list, else its message under `label`). */
function record(
  reader: EnvReader,
  label: string,
  err: unknown,
  isConfigError: (err: unknown) => boolean,
): void {
  if (!isConfigError(err)) throw err;
  const issues = (err as { issues?: unknown }).issues;
  if (
    Array.isArray(issues) &&
    issues.length > 0 &&
    issues.every((i) => typeof (i as { variable?: unknown })?.variable === 'string')
  ) {
    reader.absorb(issues as EnvIssue[]);
  } else {
    reader.issue(label, `rejected the environment: ${(err as Error).message}`);
  }
}

export { formatEnvIssues };
