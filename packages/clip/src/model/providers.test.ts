import { describe, expect, it } from 'vitest';
import { providerPlan } from './providers';

describe('provider plan', () => {
  it('auto tries the platform accelerators then CPU; explicit devices only fall back when asked', () => {
    expect(providerPlan('auto', false, 'linux')).toEqual(['cuda', 'cpu']);
    expect(providerPlan('auto', false, 'win32')).toEqual(['dml', 'cuda', 'cpu']);
    expect(providerPlan('auto', false, 'darwin')).toEqual(['coreml', 'cpu']);
    expect(providerPlan('cpu', false, 'linux')).toEqual(['cpu']);
    expect(providerPlan('tensorrt', false, 'linux')).toEqual(['tensorrt']);
    expect(providerPlan('webgpu', true, 'linux')).toEqual(['webgpu', 'cpu']);
  });
});
