// Issue #17 item 10: a port already in use is one line on stderr and exit 1, not a stack trace.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LAYOUT_DIR } from '../../test/models';

let busy: Server;
let port: number;
beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  port = (busy.address() as AddressInfo).port;
});
afterAll(() => new Promise((r) => busy.close(r)));

it('pmoves-clip-server on a port in use: one line, exit 1', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, '../server/cli.ts')], {
    env: {
      ...process.env,
      PORT: String(port),
      CLIP_MODEL_PATH: LAYOUT_DIR.split,
      CLIP_DTYPE: 'fp32',
      CLIP_DEVICE: 'cpu',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  expect(code).toBe(1);
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*already in use`));
}, 30_000);
