// One provider from its configuration: what the environment parser produces and the chain takes.
import type { RerankProvider } from '../types';
import { createClipProvider, type ClipProviderOptions } from './clip/provider';
import { createCohereProvider, type CohereProviderOptions } from './cohere';
import { createNoneProvider } from './none';
import { createTeiProvider, type TeiProviderOptions } from './tei';
import { createTensorZeroProvider, type TensorZeroProviderOptions } from './tensorzero';

/** A provider and its factory's options (what `rerankerOptionsFromEnv` returns for each chain entry). */
export type ProviderConfig =
  | { provider: 'flag'; options: TeiProviderOptions }
  | { provider: 'cohere'; options: CohereProviderOptions }
  | { provider: 'tensorzero'; options: TensorZeroProviderOptions }
  | { provider: 'clip'; options: ClipProviderOptions }
  | { provider: 'none' };

/** Create the provider a {@link ProviderConfig} describes. */
export function createProvider(config: ProviderConfig): RerankProvider {
  switch (config.provider) {
    case 'flag':
      return createTeiProvider(config.options);
    case 'cohere':
      return createCohereProvider(config.options);
    case 'tensorzero':
      return createTensorZeroProvider(config.options);
    case 'clip':
      return createClipProvider(config.options);
    case 'none':
      return createNoneProvider();
  }
}
