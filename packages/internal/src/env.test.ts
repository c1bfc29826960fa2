import { describe, expect, it } from 'vitest';
import {
  EnvReader,
  envBoolean,
  envEnum,
  envInteger,
  envList,
  envMilliseconds,
  envNumber,
  envSeconds,
  envString,
  envUrl,
  envVarInfo,
  parseHttpUrl,
} from './env';

const fail = (message: string) => new Error(message);

describe('EnvReader', () => {
  it('returns defaults when unset or empty, parsed values when set', () => {
    const r = new EnvReader({ B: 'on', I: ' 7 ', S: '', T: '1.5' });
    expect(r.get(envBoolean('B', 'b', { default: false }))).toBe(true);
    expect(r.get(envInteger('I', 'i', { default: 1 }))).toBe(7);
    expect(r.get(envString('S', 's', { default: 'x' }))).toBe('x');
    expect(r.get(envString('U', 'u'))).toBeUndefined();
    expect(r.get(envSeconds('T', 't', { default: 30 }))).toBe(1500);
    expect(r.get(envSeconds('T2', 't', { default: 30 }))).toBe(30_000);
    r.finish(fail);
  });

  it('names every bad variable in one error, with the accepted form and the value received', () => {
    const r = new EnvReader({
      FLAG: 'ture',
      PORT: '99999',
      URL: 'localhost:8080',
      FTP: 'ftp://x',
      MODE: 'fp64',
      T: '-1',
      KEY: 'hunter2',
    });
    r.get(envBoolean('FLAG', 'f', { default: false }));
    r.get(envInteger('PORT', 'p', { min: 1, max: 65535, default: 8095 }));
    r.get(envUrl('URL', 'u'));
    r.get(envUrl('FTP', 'u'));
    r.get(envEnum('MODE', 'm', ['fp32', 'fp16', 'q8'] as const));
    r.get(envSeconds('T', 't'));
    r.get(envInteger('KEY', 'k', { secret: true }));
    let message = '';
    try {
      r.finish(fail);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^invalid environment \(7 problems\)/);
    for (const name of ['FLAG', 'PORT', 'URL', 'FTP', 'MODE', 'T', 'KEY']) expect(message).toContain(name);
    expect(message).toContain('"ture"');
    expect(message).toContain('an integer from 1 to 65535');
    expect(message).toContain('http(s) URL');
    expect(message).toContain('fp32, fp16, q8');
    expect(message).not.toContain('hunter2');
    expect(r.issues).toHaveLength(7);
  });

  it('reads a deprecated alias with a warning when the new name is unset', () => {
    const timeout = envSeconds('X_TIMEOUT', 'per call', {
      default: 120,
      aliases: [envMilliseconds('X_TIMEOUT_MS', 'per call')],
    });
    const a = new EnvReader({ X_TIMEOUT_MS: '2500' });
    expect(a.get(timeout)).toBe(2500);
    expect(a.warnings[0]).toContain('X_TIMEOUT_MS is deprecated; use X_TIMEOUT');
    const b = new EnvReader({ X_TIMEOUT_MS: '2500', X_TIMEOUT: '3' });
    expect(b.get(timeout)).toBe(3000);
    expect(b.warnings).toEqual([]);
    const c = new EnvReader({ X_TIMEOUT_MS: '2.5' });
    c.get(timeout);
    expect(c.issues[0]?.variable).toBe('X_TIMEOUT_MS');
    expect(envVarInfo([timeout]).map((i) => [i.name, i.deprecatedBy])).toEqual([
      ['X_TIMEOUT', undefined],
      ['X_TIMEOUT_MS', 'X_TIMEOUT'],
    ]);
  });

  it('checks list items and numbers strictly', () => {
    const r = new EnvReader({ L: 'http://a, ,ftp://b', N: '1e3', M: '0x10', I: '1.0' });
    r.get(envList('L', 'l', { item: (s) => parseHttpUrl(s).href }));
    expect(r.get(envNumber('N', 'n'))).toBe(1000);
    r.get(envNumber('M', 'm'));
    r.get(envInteger('I', 'i'));
    expect(r.issues.map((i) => i.variable)).toEqual(['L', 'M', 'I']);
    expect(r.issues[0]?.message).toContain('item 2 ("ftp://b")');
  });

  it('documents defaults as written in the environment', () => {
    const info = envVarInfo([
      envSeconds('A', 'a', { default: 30 }),
      envList('B', 'b', { default: ['x', 'y'] }),
      envBoolean('C', 'c', { default: false }),
      envString('D', 'd', { defaultText: 'the bundled binary' }),
    ]);
    expect(info.map((i) => i.default)).toEqual(['30', 'x,y', 'false', 'the bundled binary']);
    expect(info[0]?.form).toBe('seconds');
  });

  it('refuses URLs with credentials (they would end up in logs)', () => {
    expect(() => parseHttpUrl('http://u:p@h/')).toThrow(/credentials/);
  });
});
