// The local embedder's and the Hugging Face hub's environment variables, as declarative fields
// (@pmoves/internal): read by the parsers of config/env.ts, and by the remote client (CLIP_MODEL).
import { envBoolean, envEnum, envInteger, envString, envUrl } from '@pmoves/internal';
import { DEFAULT_MODEL } from '../embedder/options';

const DEVICES = ['auto', 'cpu', 'cuda', 'tensorrt', 'webgpu', 'dml', 'coreml'] as const;

/** Fields of the local embedder. */
export const EMBEDDER_FIELDS = {
  model: envString(
    'CLIP_MODEL',
    'Hugging Face model id looked up in the caches (pulled on first use with CLIP_AUTO_DOWNLOAD)',
    {
      defaultText: DEFAULT_MODEL,
      form: 'ORG/NAME',
    },
  ),
  modelPath: envString(
    'CLIP_MODEL_PATH',
    'model directory (Xenova split/combined or Immich layout); wins over CLIP_MODEL',
    {
      form: 'path',
    },
  ),
  cacheDir: envString('CLIP_CACHE_DIR', 'cache directory holding ORG/NAME/ or a hub cache, looked in first', {
    form: 'path',
  }),
  revision: envString('CLIP_REVISION', 'hub revision of CLIP_MODEL (branch, tag or commit)', {
    default: 'main',
  }),
  dtype: envEnum('CLIP_DTYPE', 'model file variant (default: q8 on CPU when present, else fp32)', [
    'fp32',
    'fp16',
    'q8',
  ]),
  device: envEnum('CLIP_DEVICE', 'execution device', DEVICES, { default: 'auto' }),
  fallback: envBoolean(
    'CLIP_DEVICE_FALLBACK',
    'an explicit accelerator that cannot start falls back to CPU',
    {
      default: false,
    },
  ),
  maxBatchBuffers: envInteger(
    'CLIP_MAX_BATCH_BUFFERS',
    'image batch buffers alive at once, shared by concurrent calls',
    {
      default: 4,
      min: 1,
      max: 256,
      unit: 'buffers',
    },
  ),
  autoDownload: envBoolean(
    'CLIP_AUTO_DOWNLOAD',
    'pull CLIP_MODEL from the Hugging Face hub on first use when no cache has it',
    {
      default: false,
    },
  ),
} as const;

/** Fields of the Hugging Face hub, named as huggingface_hub names them (shared with Python tools). */
export const HUB_FIELDS = {
  hubCache: envString('HF_HUB_CACHE', 'Hugging Face hub cache directory (models--ORG--NAME/)', {
    form: 'path',
    defaultText: '$HF_HOME/hub or ~/.cache/huggingface/hub',
  }),
  home: envString('HF_HOME', 'Hugging Face home; its hub/ is the hub cache when HF_HUB_CACHE is unset', {
    form: 'path',
    defaultText: '~/.cache/huggingface',
  }),
  endpoint: envUrl('HF_ENDPOINT', 'Hugging Face hub (or mirror) the model pull talks to', {
    default: 'https://huggingface.co',
  }),
  token: envString(
    'HF_TOKEN',
    'Hugging Face access token for gated or private repos (sent as a Bearer token)',
    {
      secret: true,
      form: 'token',
    },
  ),
  offline: envBoolean('HF_HUB_OFFLINE', 'never contact the hub: pulls fail fast listing what is missing', {
    default: false,
  }),
} as const;
