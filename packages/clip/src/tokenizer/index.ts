// The Node face of the CLIP tokenizer: the shared class (./core, also used by the browser build)
// plus loading from files.
import { readFileSync } from 'node:fs';
import { ClipError } from '../errors';
import { ClipTokenizer as SharedClipTokenizer } from './core';

export type { TokenBatch } from './core';

/** The CLIP tokenizer of one model, with {@link ClipTokenizer.fromFiles} for files on disk. */
export class ClipTokenizer extends SharedClipTokenizer {
  /** Load tokenizer.json (and tokenizer_config.json when given). */
  static fromFiles(tokenizerPath: string, configPath?: string, contextLength?: number): ClipTokenizer {
    let json: unknown;
    let config: unknown;
    try {
      json = JSON.parse(readFileSync(tokenizerPath, 'utf8'));
      if (configPath) config = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (cause) {
      throw new ClipError(
        'model',
        `cannot read tokenizer files (${tokenizerPath}): ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    return ClipTokenizer.fromJson(json, config, contextLength);
  }
}
