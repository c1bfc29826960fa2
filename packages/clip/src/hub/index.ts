// Pulling CLIP models from the Hugging Face hub into the standard hub cache.
export {
  pullModel,
  type PulledFile,
  type PullModelOptions,
  type PullModelResult,
  type PullProgress,
} from './pull';
