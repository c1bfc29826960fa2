import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { EXAMPLES_ENV_VARS } from '../../env-vars';

it('documents every variable the examples read in docs/LOCAL_TOOLING_REFERENCE.md', () => {
  const doc = readFileSync(
    fileURLToPath(new URL('../../../docs/LOCAL_TOOLING_REFERENCE.md', import.meta.url)),
    'utf8',
  );
  const section = doc.slice(doc.indexOf('### `examples/`'), doc.indexOf('### Test suite'));
  const missing = EXAMPLES_ENV_VARS.filter((v) => !section.includes(`\`${v.name}\``)).map((v) => v.name);
  expect(missing).toEqual([]);
  expect(new Set(EXAMPLES_ENV_VARS.map((v) => v.name)).size).toBe(EXAMPLES_ENV_VARS.length);
});
