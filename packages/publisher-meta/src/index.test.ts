import { describe, expect, it } from 'vitest';
import { API_VERSION } from './index';

describe('skeleton', () => {
  it('exports an API version', () => {
    expect(API_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
