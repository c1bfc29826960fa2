// The pull and quantize subcommands through the unified `pmoves-clip` CLI (runClipCli, as the bin
// runs it), driven with their own io (not a terminal: plain progress lines), and the usage errors
// of pull, quantize and index.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/cli-io';
import { startHubStandIn, type HubStandIn } from '../../test/hub-stand-in';
import { LAYOUT_DIR } from '../../test/models';
import { runClipCli } from './main';

let hub: HubStandIn;
const tmp = mkdtempSync(join(tmpdir(), 'clip-cli-'));
beforeAll(async () => {
  hub = await startHubStandIn(LAYOUT_DIR.split);
});
afterAll(async () => {
  await hub.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string> = {}) {
  const io = captureIo(env);
  const code = await runClipCli(args, io);
  return { out: io.outLines.join('\n'), err: io.errLines.join('\n'), code };
}

describe('pmoves-clip pull', () => {
  it('pulls into the hub cache named by the environment and prints the snapshot', async () => {
    const cache = join(tmp, 'hub');
    const r = await cli(['pull', hub.repo, '--dtype', 'fp32', '--only', 'text'], {
      HF_ENDPOINT: hub.url,
      HF_HUB_CACHE: cache,
    });
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(join(cache, 'models--pmoves-test--clip-tiny', 'snapshots', hub.commit));
    expect(r.err).toMatch(/onnx\/text_model\.onnx: downloading/);
    expect(r.err).toMatch(/onnx\/text_model\.onnx: done \(.* MiB, verified\)/);
    expect(existsSync(join(r.out.trim(), 'tokenizer.json'))).toBe(true);
  });

  it('a bad environment is a configuration error (exit 2) naming every variable, in one line', async () => {
    const r = await cli(['pull', hub.repo], { HF_ENDPOINT: 'hub.example', HF_HUB_OFFLINE: 'perhaps' });
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(
      /^pmoves-clip pull: invalid environment \(2 problems\): HF_ENDPOINT .*HF_HUB_OFFLINE/,
    );
  });

  it('--help describes it without contacting anything; bad arguments are usage errors (exit 2)', async () => {
    const help = await cli(['pull', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Usage: pmoves-clip pull \[options\] <repo>/);
    expect(help.out).toMatch(/--dtype <dtype>/);
    const missing = await cli(['pull']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/missing required argument 'repo'/);
    const dtype = await cli(['pull', hub.repo, '--dtype', 'int4']);
    expect(dtype.code).toBe(2);
    expect(dtype.err).toMatch(/--dtype <dtype>' argument 'int4' is invalid/);
  });
});

describe('pmoves-clip quantize', () => {
  it('writes the variant asked for and prints one line per file', async () => {
    const dir = join(tmp, 'model');
    cpSync(LAYOUT_DIR.split, dir, { recursive: true });
    const r = await cli(['quantize', dir, '--weights', 'uint8']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/weights uint8: as requested/);
    expect(r.out.split('\n').filter(Boolean)).toHaveLength(2);
    expect(r.out).toMatch(/vision_model_uint8\.onnx\t.* MiB → .* MiB\t\d+ MatMul/);
    expect(existsSync(join(dir, 'onnx', 'text_model_uint8.onnx'))).toBe(true);
  });

  it('refuses a directory without a model (exit 1)', async () => {
    const r = await cli(['quantize', join(tmp, 'nothing')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pmoves-clip quantize: .*no CLIP model files/);
  });

  it('--help describes it; bad arguments are usage errors (exit 2)', async () => {
    const help = await cli(['quantize', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Usage: pmoves-clip quantize \[options\] <model-dir>/);
    expect(help.out).toMatch(/--weights <type>/);
    expect((await cli(['quantize'])).code).toBe(2);
    const weights = await cli(['quantize', join(tmp, 'model'), '--weights', 'int4']);
    expect(weights.code).toBe(2);
    expect(weights.err).toMatch(/--weights <type>' argument 'int4' is invalid/);
  });
});

describe('pmoves-clip index', () => {
  it('--help describes it; bad arguments are usage errors (exit 2) before anything is opened', async () => {
    const help = await cli(['index', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Usage: pmoves-clip index \[options\]/);
    const conc = await cli(['index', '--concurrency', '0']);
    expect(conc.code).toBe(2);
    expect(conc.err).toMatch(/--concurrency <n>' argument '0' is invalid/);
    const both = await cli(['index', '--keyframes', '--every', '5']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--keyframes and --every/);
    const extra = await cli(['index', 'surplus']);
    expect(extra.code).toBe(2);
    expect(extra.err).toMatch(/too many arguments/);
  });
});
