// Dynamic 8-bit quantization of CLIP model files (see quantize-graph.ts for the layout written).
export {
  quantizeModel,
  quantizedName,
  type QuantizedFile,
  type QuantizeModelOptions,
  type QuantizeModelResult,
  type QuantizeProgress,
} from './quantize-model';
export type { QuantizableOp, QuantizeGraphOptions, QuantizeGraphReport, WeightType } from './quantize-graph';
export { autoWeightType, cpuInt8Support, type CpuInt8Support } from '../model/cpu';
