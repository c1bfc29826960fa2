// Environment parsing shared by every package: declarative fields (one per variable) that carry
// both the parser and the documentation row, and a reader that collects every bad variable before
// failing once. Packages wrap the reader's message in their own typed error.

/** An environment to read (e.g. `process.env`); never mutated. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What a package documents about one environment variable it reads. */
export interface EnvVarInfo {
  /** The variable's name, e.g. `CLIP_TIMEOUT`. */
  readonly name: string;
  /** What it sets, in a few words. */
  readonly description: string;
  /** The accepted form or unit, e.g. `seconds`, `true/false`, `http(s) URL`, `fp32 | fp16 | q8`. */
  readonly form: string;
  /** The default as it would be written in the environment; absent when there is none. */
  readonly default?: string;
  /** A secret: its value is never echoed in an error message. */
  readonly secret?: boolean;
  /** Set on a deprecated alias: the variable that replaces it. */
  readonly deprecatedBy?: string;
}

/**
 * One variable: its documentation and its parser. `R` is what the reader returns: `T` when the
 * field has a default, `T | undefined` otherwise.
 */
export interface EnvField<T, R = T | undefined> {
  /** The documentation row. */
  readonly info: EnvVarInfo;
  /** Parses a non-empty, trimmed value; throws an {@link EnvValueError} naming the accepted form. */
  parse(raw: string): T;
  /** What the reader returns when the variable is unset or empty. */
  readonly fallback: R;
  /** Deprecated names read when this one is unset (each warns). */
  readonly aliases?: readonly EnvField<T, unknown>[];
}

/** Thrown by a field's parser: the message says what was expected. */
export class EnvValueError extends Error {}

/** One bad variable. */
export interface EnvIssue {
  /** The variable (or variables, `A/B`) at fault. */
  readonly variable: string;
  /** What is wrong, naming the accepted form. */
  readonly message: string;
}

interface FieldOptions<D> {
  /** Default value (typed); also documented unless `defaultText` is given. */
  default?: D;
  /** How the default is documented when it is not simply `String(default)`. */
  defaultText?: string;
  /** Secret: never echoed. */
  secret?: boolean;
  /** Deprecated aliases, read (with a warning) when this variable is unset. */
  aliases?: readonly EnvField<unknown, unknown>[];
}

type Result<T, D> = D extends undefined ? T | undefined : T;

function field<T, D extends T | undefined>(
  name: string,
  description: string,
  form: string,
  parse: (raw: string) => T,
  opts: FieldOptions<D> & { documentDefault?: (d: D) => string },
): EnvField<T, Result<T, D>> {
  const def = opts.default;
  const defaultText =
    opts.defaultText ??
    (def === undefined ? undefined : opts.documentDefault ? opts.documentDefault(def) : String(def));
  return {
    info: {
      name,
      description,
      form,
      ...(defaultText !== undefined ? { default: defaultText } : {}),
      ...(opts.secret ? { secret: true } : {}),
    },
    parse,
    fallback: def as Result<T, D>,
    ...(opts.aliases ? { aliases: opts.aliases as unknown as EnvField<T, unknown>[] } : {}),
  };
}

/** A free-form string (trimmed, non-empty). */
export function envString<D extends string | undefined = undefined>(
  name: string,
  description: string,
  opts: FieldOptions<D> & { form?: string } = {},
): EnvField<string, Result<string, D>> {
  return field(name, description, opts.form ?? 'string', (raw) => raw, opts);
}

const TRUE = new Set(['1', 'true', 'yes', 'y', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'n', 'off']);

/** A boolean: `1/0`, `true/false`, `yes/no`, `y/n`, `on/off` (any case). Anything else is an error. */
export function envBoolean<D extends boolean | undefined = undefined>(
  name: string,
  description: string,
  opts: FieldOptions<D> = {},
): EnvField<boolean, Result<boolean, D>> {
  return field(
    name,
    description,
    'boolean (true/false, 1/0, yes/no, on/off)',
    (raw) => {
      const v = raw.toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      throw new EnvValueError('must be a boolean: true/false, 1/0, yes/no or on/off');
    },
    opts,
  );
}

interface RangeOptions<D> extends FieldOptions<D> {
  /** Smallest accepted value (inclusive). */
  min?: number;
  /** Largest accepted value (inclusive). */
  max?: number;
  /** The unit, documented and named in errors (`bytes`, `items`). */
  unit?: string;
}

function range(kind: string, opts: { min?: number; max?: number; unit?: string }): string {
  const unit = opts.unit ? ` (${opts.unit})` : '';
  if (opts.min !== undefined && opts.max !== undefined)
    return `${kind} from ${opts.min} to ${opts.max}${unit}`;
  if (opts.min !== undefined) return `${kind} ≥ ${opts.min}${unit}`;
  if (opts.max !== undefined) return `${kind} ≤ ${opts.max}${unit}`;
  return `${kind}${unit}`;
}

function checkRange(n: number, opts: { min?: number; max?: number }, form: string): number {
  if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max))
    throw new EnvValueError(`must be ${form}`);
  return n;
}

/** An integer, optionally bounded. */
export function envInteger<D extends number | undefined = undefined>(
  name: string,
  description: string,
  opts: RangeOptions<D> = {},
): EnvField<number, Result<number, D>> {
  const form = range('an integer', opts);
  return field(
    name,
    description,
    form,
    (raw) => {
      const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw new EnvValueError(`must be ${form}`);
      return checkRange(n, opts, form);
    },
    opts,
  );
}

/** A finite decimal number, optionally bounded. */
export function envNumber<D extends number | undefined = undefined>(
  name: string,
  description: string,
  opts: RangeOptions<D> = {},
): EnvField<number, Result<number, D>> {
  const form = range('a number', opts);
  return field(
    name,
    description,
    form,
    (raw) => {
      const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isFinite(n)) throw new EnvValueError(`must be ${form}`);
      return checkRange(n, opts, form);
    },
    opts,
  );
}

/**
 * A duration in seconds, as PMOVES writes timeouts (decimals allowed, more than 0). The reader
 * returns **milliseconds**; `default` is given in seconds.
 */
export function envSeconds<D extends number | undefined = undefined>(
  name: string,
  description: string,
  opts: FieldOptions<D> & { max?: number } = {},
): EnvField<number, Result<number, D>> {
  const form = `a number of seconds, more than 0${opts.max !== undefined ? ` and at most ${opts.max}` : ''}`;
  const f = field(
    name,
    description,
    'seconds',
    (raw) => {
      const n = /^(\d+\.?\d*|\.\d+)$/.test(raw) ? Number(raw) : NaN;
      if (!(n > 0) || (opts.max !== undefined && n > opts.max)) throw new EnvValueError(`must be ${form}`);
      return Math.round(n * 1000);
    },
    opts,
  );
  // The default is documented in seconds and returned in milliseconds, like a parsed value.
  const fallback = opts.default === undefined ? undefined : Math.round(opts.default * 1000);
  return { ...f, fallback: fallback as Result<number, D> };
}

/**
 * A duration in milliseconds, for deprecated `…_MS` aliases of a seconds variable. The reader
 * returns milliseconds.
 */
export function envMilliseconds(name: string, description: string): EnvField<number, number | undefined> {
  return field(
    name,
    description,
    'milliseconds',
    (raw) => {
      const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(n > 0) || !Number.isSafeInteger(n))
        throw new EnvValueError('must be a whole number of milliseconds, more than 0');
      return n;
    },
    {},
  );
}

/** Parses an `http:`/`https:` URL, naming the form on failure (`localhost:8080` and `ftp://x` are refused). */
export function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EnvValueError('must be an http(s) URL such as http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new EnvValueError('must be an http(s) URL such as http://127.0.0.1:8080');
  if (url.username || url.password) throw new EnvValueError('must not carry credentials in the URL');
  return url;
}

/** An `http(s)` URL; the reader returns it as written (trimmed). */
export function envUrl<D extends string | undefined = undefined>(
  name: string,
  description: string,
  opts: FieldOptions<D> = {},
): EnvField<string, Result<string, D>> {
  return field(
    name,
    description,
    'http(s) URL',
    (raw) => {
      parseHttpUrl(raw);
      return raw;
    },
    opts,
  );
}

/** One of a fixed set of values (case-insensitive); the reader returns the canonical spelling. */
export function envEnum<const V extends string, D extends V | undefined = undefined>(
  name: string,
  description: string,
  values: readonly V[],
  opts: FieldOptions<D> = {},
): EnvField<V, Result<V, D>> {
  return field(
    name,
    description,
    values.join(' | '),
    (raw) => {
      const hit = values.find((v) => v.toLowerCase() === raw.toLowerCase());
      if (hit === undefined) throw new EnvValueError(`must be one of ${values.join(', ')}`);
      return hit;
    },
    opts,
  );
}

/** A comma-separated list (items trimmed, empty items dropped), each item checked by `item`. */
export function envList<T = string, D extends T[] | undefined = undefined>(
  name: string,
  description: string,
  opts: FieldOptions<D> & { form?: string; item?: (raw: string) => T } = {},
): EnvField<T[], Result<T[], D>> {
  const item = opts.item ?? ((s: string) => s as unknown as T);
  return field(
    name,
    description,
    opts.form ?? 'comma-separated list',
    (raw) => {
      const parts = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      return parts.map((p, i) => {
        try {
          return item(p);
        } catch (e) {
          if (e instanceof EnvValueError)
            throw new EnvValueError(`item ${i + 1} (${JSON.stringify(p)}) ${e.message}`);
          throw e;
        }
      });
    },
    { ...opts, documentDefault: (d) => (d as unknown[]).join(',') },
  );
}

/** The documentation rows of a set of fields, in order (what a package exports as its variable list). */
export function envVarInfo(fields: Iterable<EnvField<unknown, unknown>>): readonly EnvVarInfo[] {
  const out: EnvVarInfo[] = [];
  for (const f of fields) {
    out.push(f.info);
    for (const a of f.aliases ?? []) out.push({ ...a.info, deprecatedBy: f.info.name });
  }
  return out;
}

/**
 * Reads fields from one environment, collecting every bad variable so that one error can name
 * them all. `finish()` throws (through the caller's error factory) when anything was wrong.
 */
export class EnvReader {
  /** Every bad variable seen so far. */
  readonly issues: EnvIssue[] = [];
  /** Deprecation and other non-fatal notes. */
  readonly warnings: string[] = [];

  /** @param env - the environment read; values are trimmed, and empty ones count as unset. */
  constructor(readonly env: Env) {}

  /** The trimmed value of a variable, or undefined when unset or empty. */
  raw(name: string): string | undefined {
    const v = this.env[name]?.trim();
    return v ? v : undefined;
  }

  /** Whether a variable is set to a non-empty value. */
  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  /**
   * The field's value: parsed when set, its fallback when unset. A bad value is recorded as an
   * issue and the fallback is returned, so reading goes on and every issue is reported together.
   */
  get<T, R>(f: EnvField<T, R>): T | R {
    const name = f.info.name;
    const raw = this.raw(name);
    if (raw === undefined) {
      for (const alias of f.aliases ?? []) {
        const araw = this.raw(alias.info.name);
        if (araw === undefined) continue;
        this.warnings.push(`${alias.info.name} is deprecated; use ${name} (${f.info.form}) instead`);
        return this.parse(alias, araw, f.fallback);
      }
      return f.fallback;
    }
    return this.parse(f, raw, f.fallback);
  }

  private parse<T, R>(f: EnvField<T, unknown>, raw: string, fallback: R): T | R {
    try {
      return f.parse(raw);
    } catch (e) {
      if (!(e instanceof EnvValueError)) throw e;
      const shown = f.info.secret ? 'a value that is not shown' : JSON.stringify(raw);
      this.issue(f.info.name, `${e.message}; received ${shown}`);
      return fallback;
    }
  }

  /** Records an issue that no single field can see (a missing companion variable, a conflict). */
  issue(variable: string, message: string): void {
    this.issues.push({ variable, message });
  }

  /** Records each issue of a nested reader (e.g. another package's parser), as is. */
  absorb(issues: readonly EnvIssue[]): void {
    this.issues.push(...issues);
  }

  /** Throws `makeError(message, issues)` when any issue was recorded. */
  finish(makeError: (message: string, issues: readonly EnvIssue[]) => Error): void {
    if (this.issues.length > 0) throw makeError(formatEnvIssues(this.issues), [...this.issues]);
  }
}

/** One message naming every bad variable: `invalid environment: A must …; B must …`. */
export function formatEnvIssues(issues: readonly EnvIssue[]): string {
  return `invalid environment (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}): ${issues
    .map((i) => `${i.variable} ${i.message}`)
    .join('; ')}`;
}
