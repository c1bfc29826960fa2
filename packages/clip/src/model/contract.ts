// What a loaded graph expects and gives, read from onnxruntime's own session metadata
// (session.inputMetadata / outputMetadata): tensor names, id dtype, attention_mask, fixed or dynamic
// batch and sequence. Graphs that only give un-projected hidden states are refused here.
import { ClipError } from '../errors';
import type { Role } from './sources';

/** Metadata of one graph value, as onnxruntime reports it (structurally `InferenceSession.ValueMetadata`). */
export interface ValueMeta {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

/** Vision side of a graph. */
export interface VisionContract {
  /** Image input name (`pixel_values`, `image`). */
  input: string;
  /** Element type the image input wants (`float32` or `float16`). */
  inputType: 'float32' | 'float16';
  /** Fixed batch size, or undefined when dynamic. */
  fixedBatch?: number;
  /** Input height/width when fixed. */
  size?: [number, number];
  /** Output that holds projected image embeddings. */
  output: string;
  /** Embedding dimensions, when the graph declares them. */
  dims?: number;
}

/** Text side of a graph. */
export interface TextContract {
  /** Token-id input name (`input_ids`, `text`). */
  input: string;
  /** Element type of the ids. */
  idType: 'int32' | 'int64';
  /** attention_mask input name, when declared. */
  attentionMask?: string;
  /** Element type of the mask. */
  maskType?: 'int32' | 'int64';
  /** Fixed batch size, or undefined when dynamic. */
  fixedBatch?: number;
  /** Fixed sequence length (pad to it), or undefined when dynamic (pad to the longest). */
  fixedLength?: number;
  /** Output that holds projected text embeddings. */
  output: string;
  dims?: number;
}

/** What a session declares, for the role it plays. */
export interface GraphContract {
  vision?: VisionContract;
  text?: TextContract;
}

const IMAGE_INPUTS = ['pixel_values', 'image', 'images', 'input'];
const ID_INPUTS = ['input_ids', 'text', 'input', 'tokens'];
const IMAGE_OUTPUTS = ['image_embeds', 'embedding', 'embeddings', 'image_embeddings', 'visual_embeds'];
const TEXT_OUTPUTS = ['text_embeds', 'embedding', 'embeddings', 'text_embeddings'];
const HIDDEN_ONLY = ['last_hidden_state', 'pooler_output', 'hidden_states'];

function fixed(dim: number | string | undefined): number | undefined {
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

function lastDim(meta: ValueMeta): number | undefined {
  return fixed(meta.shape?.[meta.shape.length - 1]);
}

function refuseHiddenOnly(file: string, outputs: readonly ValueMeta[], want: string[]): never {
  const names = outputs.map((o) => o.name);
  const hidden = names.filter((n) => HIDDEN_ONLY.includes(n));
  if (hidden.length > 0) {
    throw new ClipError(
      'model',
      `${file} outputs only un-projected hidden states (${names.join(', ')}), not CLIP embeddings: ` +
        `expected an output named ${want.join(' or ')}. Export the model with its projection ` +
        '(CLIPVisionModelWithProjection / CLIPTextModelWithProjection or the full CLIPModel).',
    );
  }
  throw new ClipError(
    'model',
    `${file} has no embedding output (outputs: ${names.join(', ')}; expected ${want.join(' or ')})`,
  );
}

function visionContract(
  file: string,
  inputs: readonly ValueMeta[],
  outputs: readonly ValueMeta[],
): VisionContract {
  const input = inputs.find((i) => IMAGE_INPUTS.includes(i.name) && i.shape?.length === 4);
  if (!input) {
    throw new ClipError(
      'model',
      `${file} has no image input (inputs: ${inputs.map((i) => i.name).join(', ')})`,
    );
  }
  if (input.type !== 'float32' && input.type !== 'float16') {
    throw new ClipError(
      'model',
      `${file}: image input "${input.name}" is ${input.type}, expected float32 or float16`,
    );
  }
  const output = outputs.find((o) => IMAGE_OUTPUTS.includes(o.name));
  if (!output) refuseHiddenOnly(file, outputs, ['image_embeds', 'embedding']);
  const h = fixed(input.shape?.[2]);
  const w = fixed(input.shape?.[3]);
  return {
    input: input.name,
    inputType: input.type,
    fixedBatch: fixed(input.shape?.[0]),
    size: h && w ? [h, w] : undefined,
    output: output.name,
    dims: lastDim(output),
  };
}

function textContract(
  file: string,
  inputs: readonly ValueMeta[],
  outputs: readonly ValueMeta[],
): TextContract {
  const input = inputs.find((i) => ID_INPUTS.includes(i.name) && i.shape?.length === 2);
  if (!input) {
    throw new ClipError(
      'model',
      `${file} has no token-id input (inputs: ${inputs.map((i) => i.name).join(', ')})`,
    );
  }
  if (input.type !== 'int32' && input.type !== 'int64') {
    throw new ClipError(
      'model',
      `${file}: token-id input "${input.name}" is ${input.type}, expected int32 or int64`,
    );
  }
  const mask = inputs.find((i) => i.name === 'attention_mask');
  if (mask && mask.type !== 'int32' && mask.type !== 'int64') {
    throw new ClipError('model', `${file}: attention_mask is ${mask.type}, expected int32 or int64`);
  }
  const output = outputs.find((o) => TEXT_OUTPUTS.includes(o.name));
  if (!output) refuseHiddenOnly(file, outputs, ['text_embeds', 'embedding']);
  return {
    input: input.name,
    idType: input.type,
    attentionMask: mask?.name,
    maskType: mask?.type as 'int32' | 'int64' | undefined,
    fixedBatch: fixed(input.shape?.[0]),
    fixedLength: fixed(input.shape?.[1]),
    output: output.name,
    dims: lastDim(output),
  };
}

/** Read the CLIP contract of a session from its metadata, for the role it was loaded as. */
export function readContract(
  file: string,
  role: Role,
  inputs: readonly ValueMeta[],
  outputs: readonly ValueMeta[],
): GraphContract {
  if (role === 'vision') return { vision: visionContract(file, inputs, outputs) };
  if (role === 'text') return { text: textContract(file, inputs, outputs) };
  return { vision: visionContract(file, inputs, outputs), text: textContract(file, inputs, outputs) };
}
