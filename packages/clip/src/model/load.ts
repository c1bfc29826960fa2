// Loading a CLIP model: find it, pick the file variant per precision and provider, create the
// sessions in the inference worker (trying providers in order and recording each attempt), and read
// the graph contract from the sessions' metadata.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ClipError } from '../errors';
import type { ClipDevice, ClipDtype, ProviderAttempt } from '../types';
import { readContract, type TextContract, type VisionContract } from './contract';
import { LoadFailure, type InferenceHost } from './inference-host';
import type { HostSessionOptions } from './inference-protocol';
import { providerPlan } from './providers';
import {
  checkFiles,
  describeSource,
  detectLayout,
  findVariant,
  hasVariant,
  locateModel,
  rolesFor,
  type ModelSource,
  type Role,
} from './sources';

/** Where the model is. */
export interface SourceRequest {
  model: string;
  modelPath?: string;
  cacheDir?: string;
  hubCache?: string;
  revision?: string;
}

/** How to create a role's session. */
export interface SessionRequest {
  dtype?: ClipDtype;
  device: ClipDevice;
  fallback: boolean;
  session: HostSessionOptions;
}

/** Find the model directory and recognise it. */
export function resolveSource(req: SourceRequest): ModelSource {
  let root: string;
  if (req.modelPath) {
    root = resolve(req.modelPath);
    if (!existsSync(root)) throw new ClipError('not-found', `modelPath ${root} does not exist`);
    if (!detectLayout(root)) {
      throw new ClipError(
        'not-found',
        `no CLIP model files in ${root}: expected onnx/vision_model*.onnx + onnx/text_model*.onnx (Xenova split), ` +
          'onnx/model*.onnx (Xenova combined) or visual/model.onnx + textual/model.onnx (Immich)',
      );
    }
  } else {
    root = locateModel(req);
  }
  return describeSource(root, detectLayout(root)!);
}

/** Where a failed CUDA attempt sends the reader: onnxruntime-node installs its CUDA binaries only on request. */
export const CUDA_HINT =
  'The CUDA provider needs onnxruntime-node installed with its CUDA binaries (ONNXRUNTIME_NODE_INSTALL=cuda12) ' +
  'and the CUDA 12 and cuDNN 9 libraries: see "GPU (CUDA)" in the @pmoves/clip README (node_modules/@pmoves/clip/README.md)';

/** A session created for one role. */
export interface LoadedRole {
  role: Role;
  file: string;
  dtype: ClipDtype;
  provider: string;
  attempts: ProviderAttempt[];
  vision?: VisionContract;
  text?: TextContract;
  loadMs: number;
}

/**
 * Create the session of one role. With no explicit dtype, accelerators get the fp32 file and CPU
 * the quantized one when the directory has it (fp32 otherwise).
 */
export async function loadRole(
  host: InferenceHost,
  source: ModelSource,
  role: Role,
  req: SessionRequest,
  providers?: string[],
): Promise<LoadedRole> {
  const plan = (providers ?? providerPlan(req.device, req.fallback)).map((provider) => {
    const dtype: ClipDtype =
      req.dtype ??
      (provider === 'cpu' && hasVariant(source.root, source.layout, 'q8', [role]) ? 'q8' : 'fp32');
    const file = findVariant(source.root, source.layout, role, dtype);
    if (!file) checkFiles(source, dtype, role === 'text' ? ['text'] : ['image']);
    return { provider, file: file!, dtype };
  });
  const started = performance.now();
  let reply;
  try {
    // Accelerator attempts log their own failure loudly; we record it in info() instead.
    reply = await host.load(role, plan, { logSeverityLevel: 3, ...req.session });
  } catch (err) {
    if (!(err instanceof LoadFailure)) throw err;
    const summary = err.attempts.map((a) => `${a.provider}: ${a.error}`).join('; ');
    if (plan.length === 1 && plan[0]!.provider === 'cpu') {
      throw new ClipError('model', `cannot load ${plan[0]!.file}: ${err.attempts[0]?.error}`, { cause: err });
    }
    const cpuTried = plan.some((p) => p.provider === 'cpu');
    const cuda = err.attempts.some((a) => a.provider === 'cuda' && !a.ok);
    throw new ClipError(
      cpuTried && err.attempts.at(-1)?.provider === 'cpu' && plan.length > 1 ? 'model' : 'device',
      `no execution provider could be created for device "${req.device}" (${summary})` +
        (cpuTried
          ? ''
          : '. Set fallback: true (CLIP_DEVICE_FALLBACK=1) to fall back to CPU, or device: "auto"') +
        (cuda ? `. ${CUDA_HINT}` : ''),
      { cause: err },
    );
  }
  const step = plan.find((p) => p.provider === reply.provider && p.file === reply.file)!;
  const contract = readContract(reply.file, role, reply.inputs, reply.outputs);
  return {
    role,
    file: reply.file,
    dtype: step.dtype,
    provider: reply.provider,
    attempts: reply.attempts,
    ...contract,
    loadMs: performance.now() - started,
  };
}

export { rolesFor };
