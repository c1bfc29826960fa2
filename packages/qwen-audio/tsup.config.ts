import { defineConfig } from 'tsup';

export default defineConfig({
  // index: the library; cli: the `pmoves-qwen-audio` bin.
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' }, resolve: ['@pmoves/internal'] },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Our private helpers are bundled in: published packages depend on nothing of ours.
  noExternal: ['@pmoves/internal'],
});
