// CLIP tokenization on the model's own tokenizer.json with @huggingface/tokenizers (the maintained
// implementation transformers.js uses). Truncation keeps the end-of-text token, as OpenAI's
// clip.tokenize(truncate=True) does (transformers.js drops it); padding is decided per batch by the
// graph: fixed sequence dimension → pad to it, dynamic → pad to the longest text of the batch.
import { Tokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';
import { ClipError } from '../errors';

/** A tokenized, padded batch, ready to become the graph's `input_ids` / `attention_mask`. */
export interface TokenBatch {
  /** Row-major ids, `rows × length`. */
  ids: number[];
  /** 1 for real tokens, 0 for padding, same shape. */
  mask: number[];
  /** Number of texts (rows). */
  rows: number;
  /** Padded sequence length of every row. */
  length: number;
}

const tokenizerConfigSchema = z.looseObject({
  pad_token: z.union([z.string(), z.looseObject({ content: z.string() })]).optional(),
  bos_token: z.union([z.string(), z.looseObject({ content: z.string() })]).optional(),
  eos_token: z.union([z.string(), z.looseObject({ content: z.string() })]).optional(),
  model_max_length: z.number().optional(),
});

function tokenName(v: string | { content: string } | undefined, fallback: string): string {
  if (v === undefined) return fallback;
  return typeof v === 'string' ? v : v.content;
}

/**
 * The part of `@huggingface/tokenizers`' `Tokenizer` this class uses. The published declarations
 * name only this, not that package's types: its `.d.ts` files fail to load under `node16`
 * resolution and from CommonJS (the packaging test's strict `tsc` caught it).
 */
interface TokenizerEngine {
  token_to_id(token: string): number | undefined;
  encode(text: string): { ids: number[] };
}

/**
 * The CLIP tokenizer of one model; the same class in the Node and browser builds (no Node API), so
 * both give the same ids.
 */
export class ClipTokenizer {
  /** Start-of-text id (49406 for OpenAI CLIP). */
  readonly bosId: number;
  /** End-of-text id (49407 for OpenAI CLIP). */
  readonly eotId: number;
  /** Padding id, from tokenizer_config.json's `pad_token` (CLIP pads with end-of-text). */
  readonly padId: number;

  /** @hidden Use {@link ClipTokenizer.fromJson} (or the Node build's `fromFiles`). */
  protected constructor(
    private readonly tokenizer: TokenizerEngine,
    config: z.infer<typeof tokenizerConfigSchema>,
    /** Longest sequence the model takes (77 for CLIP). */
    readonly contextLength: number,
  ) {
    const id = (name: string, field: string): number => {
      const v = tokenizer.token_to_id(name);
      if (v === undefined) throw new ClipError('model', `tokenizer has no id for ${field} "${name}"`);
      return v;
    };
    this.bosId = id(tokenName(config.bos_token, '<|startoftext|>'), 'bos_token');
    this.eotId = id(tokenName(config.eos_token, '<|endoftext|>'), 'eos_token');
    this.padId = id(tokenName(config.pad_token, tokenName(config.eos_token, '<|endoftext|>')), 'pad_token');
  }

  /**
   * Build from the parsed contents of tokenizer.json (and tokenizer_config.json when given). Pure:
   * the Node build reads the files, the browser build fetches them, both end here.
   *
   * @param tokenizerJson - parsed tokenizer.json
   * @param tokenizerConfig - parsed tokenizer_config.json (special tokens, `model_max_length`)
   * @param contextLength - longest sequence; default `model_max_length` when sensible, else 77
   * @throws ClipError `model` when the configuration is invalid or a special token has no id
   */
  static fromJson(tokenizerJson: unknown, tokenizerConfig?: unknown, contextLength?: number): ClipTokenizer {
    const parsed = tokenizerConfigSchema.safeParse(tokenizerConfig ?? {});
    if (!parsed.success) {
      throw new ClipError('model', `tokenizer_config.json is invalid: ${parsed.error.issues[0]!.message}`, {
        cause: parsed.error,
      });
    }
    if (typeof tokenizerJson !== 'object' || tokenizerJson === null) {
      throw new ClipError('model', 'tokenizer.json must be a JSON object');
    }
    const config = parsed.data;
    const max =
      contextLength ??
      (config.model_max_length && config.model_max_length < 1e6 ? config.model_max_length : 77);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, config);
    } catch (cause) {
      throw new ClipError('model', `tokenizer.json cannot be loaded: ${(cause as Error).message}`, { cause });
    }
    // `this`: a subclass (the Node build's, which adds fromFiles) gets instances of its own class.
    return new this(tokenizer, config, max);
  }

  /**
   * Token ids of one text with start/end tokens, truncated to the context length keeping the
   * end-of-text token last. No padding.
   */
  tokenize(text: string): number[] {
    if (typeof text !== 'string') throw new ClipError('invalid-input', 'text must be a string');
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= this.contextLength) return ids;
    const kept = ids.slice(0, this.contextLength);
    kept[this.contextLength - 1] = this.eotId;
    return kept;
  }

  /** Tokenize and pad a batch: to `fixedLength` when the graph has one, else to the longest text. */
  batch(texts: readonly string[], fixedLength?: number): TokenBatch {
    const rows = texts.map((t) => this.tokenize(t));
    const length = fixedLength ?? Math.max(1, ...rows.map((r) => r.length));
    const ids = new Array<number>(rows.length * length).fill(this.padId);
    const mask = new Array<number>(rows.length * length).fill(0);
    rows.forEach((row, r) => {
      if (row.length > length) {
        throw new ClipError('model', `text has ${row.length} tokens but the graph takes ${length}`);
      }
      for (let i = 0; i < row.length; i++) {
        ids[r * length + i] = row[i]!;
        mask[r * length + i] = 1;
      }
    });
    return { ids, mask, rows: rows.length, length };
  }
}
