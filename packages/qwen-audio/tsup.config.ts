import { defineConfig } from 'tsup';

export default defineConfig({
  // index: the library; cli: the `pmoves-qwen-audio` bin.
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
