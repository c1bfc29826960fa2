// CLIP tokenization on the model's own tokenizer.json with @huggingface/tokenizers (the maintained
// implementation transformers.js uses). Truncation keeps the end-of-text token, as OpenAI's
// clip.tokenize(truncate=True) does (transformers.js drops it); padding is decided per batch by the
// graph: fixed sequence dimension → pad to it, dynamic → pad to the longest text of the batch.
import { readFileSync } from 'node:fs';
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

/** The CLIP tokenizer of one model. */
export class ClipTokenizer {
  /** Start-of-text id (49406 for OpenAI CLIP). */
  readonly bosId: number;
  /** End-of-text id (49407 for OpenAI CLIP). */
  readonly eotId: number;
  /** Padding id, from tokenizer_config.json's `pad_token` (CLIP pads with end-of-text). */
  readonly padId: number;

  private constructor(
    private readonly tokenizer: Tokenizer,
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

  /** Load tokenizer.json (and tokenizer_config.json when given). */
  static fromFiles(tokenizerPath: string, configPath?: string, contextLength?: number): ClipTokenizer {
    let json: unknown;
    let config: z.infer<typeof tokenizerConfigSchema> = {};
    try {
      json = JSON.parse(readFileSync(tokenizerPath, 'utf8'));
      if (configPath) config = tokenizerConfigSchema.parse(JSON.parse(readFileSync(configPath, 'utf8')));
    } catch (cause) {
      throw new ClipError(
        'model',
        `cannot read tokenizer files (${tokenizerPath}): ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    const max =
      contextLength ??
      (config.model_max_length && config.model_max_length < 1e6 ? config.model_max_length : 77);
    return new ClipTokenizer(new Tokenizer(json as object, config), config, max);
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
