// examples/docker-compose.jellyfin-ai.yml: every variable it sets is documented in
// docs/LOCAL_TOOLING_REFERENCE.md, every service sets the variables it needs, and the services
// agree with each other (endpoints name services of the file, one CLIP token, one model id).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(__dirname, '..', '..', '..');
const compose = parse(readFileSync(resolve(root, 'examples/docker-compose.jellyfin-ai.yml'), 'utf8'), {
  merge: true,
}) as {
  services: Record<string, { environment?: Record<string, string>; command?: string[]; image?: string }>;
};
const reference = readFileSync(resolve(root, 'docs/LOCAL_TOOLING_REFERENCE.md'), 'utf8');
const documented = new Set([...reference.matchAll(/`([A-Z][A-Z0-9_]*[A-Z0-9])`/g)].map((m) => m[1]!));

/** Variables each service needs to do its job (what its package requires, or what makes it reachable). */
const REQUIRED: Record<string, string[]> = {
  'clip-model-pull': ['HF_HOME'],
  clip: ['HOST', 'PORT', 'HF_HOME', 'CLIP_MODEL', 'CLIP_SERVER_TOKEN', 'CLIP_SERVER_MODEL_NAME'],
  vllm: ['HF_HOME'],
  postgres: ['POSTGRES_PASSWORD', 'POSTGRES_USER', 'POSTGRES_DB'],
  'hi-rag-gateway': ['HOST', 'PORT', 'RERANK_PROVIDER', 'CLIP_ENDPOINT', 'CLIP_SERVER_TOKEN', 'CLIP_MODEL'],
  'jellyfin-audio-processor': [
    'NATS_URL',
    'JELLYFIN_AUDIO_QWEN_ENABLE',
    'QWEN_AUDIO_BACKEND',
    'QWEN_AUDIO_URL',
    'QWEN_MODEL_NAME',
    'JELLYFIN_URL',
    'JELLYFIN_API_KEY',
    'DATABASE_URL',
  ],
  publisher: ['NATS_URL', 'MEDIA_LIBRARY_PATH', 'CLIP_ENDPOINT', 'CLIP_SERVER_TOKEN', 'DATABASE_URL'],
  discord: ['NATS_URL', 'DISCORD_WEBHOOK_URL'],
};

const services = compose.services;
const env = (name: string) => services[name]?.environment ?? {};
/** A value with its `${VAR…}` substitutions named (what the host must provide). */
const hostVariables = (value: string) => [...value.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);

describe('docker-compose.jellyfin-ai.yml', () => {
  it('has the services the deployment needs', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'sdk-install',
        'clip-model-pull',
        'clip',
        'vllm',
        'ollama',
        'nats',
        'postgres',
        'hi-rag-gateway',
        'jellyfin-audio-processor',
        'publisher',
        'discord',
      ].sort(),
    );
  });

  it('every variable a service sets, and every host variable it substitutes, is in LOCAL_TOOLING_REFERENCE.md', () => {
    const missing: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (!documented.has(key)) missing.push(`${name}: ${key}`);
        for (const v of hostVariables(String(value)))
          if (!documented.has(v)) missing.push(`${name}: \${${v}}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it.each(Object.entries(REQUIRED))('%s sets every variable it needs, none empty', (name, needed) => {
    const e = env(name);
    for (const key of needed) {
      expect(e[key], `${name} ${key}`).toBeDefined();
      expect(String(e[key]).trim(), `${name} ${key}`).not.toBe('');
    }
  });

  it('secrets come from the host and are required there (${VAR:?…}), never written in the file', () => {
    const secrets = ['CLIP_SERVER_TOKEN', 'POSTGRES_PASSWORD', 'DISCORD_WEBHOOK_URL', 'JELLYFIN_API_KEY'];
    for (const [name, service] of Object.entries(services))
      for (const key of secrets) {
        const value = service.environment?.[key];
        if (value !== undefined) expect(value, `${name} ${key}`).toMatch(new RegExp(`^\\$\\{${key}:\\?`));
      }
    for (const name of ['jellyfin-audio-processor', 'publisher'])
      expect(env(name).DATABASE_URL).toContain('${POSTGRES_PASSWORD:?');
  });

  it('the services agree: endpoints name services of this file, one CLIP token and model id', () => {
    const clip = env('clip');
    for (const name of ['hi-rag-gateway', 'publisher']) {
      const e = env(name);
      for (const endpoint of e.CLIP_ENDPOINT!.split(',')) {
        const url = new URL(endpoint.trim());
        expect(services[url.hostname], `${name} CLIP_ENDPOINT host`).toBeDefined();
        expect(url.port).toBe(clip.PORT);
      }
      expect(e.CLIP_SERVER_TOKEN).toBe(clip.CLIP_SERVER_TOKEN);
      expect(e.CLIP_MODEL).toBe(clip.CLIP_SERVER_MODEL_NAME);
    }
    expect(clip.HOST).toBe('0.0.0.0');
    const audio = env('jellyfin-audio-processor');
    const qwen = new URL(audio.QWEN_AUDIO_URL!);
    expect(services[qwen.hostname]).toBeDefined();
    // The audio goes to vLLM (Ollama does not pass audio to Qwen2-Audio: ollama/ollama#11798).
    expect(qwen.hostname).toBe('vllm');
    expect(audio.QWEN_AUDIO_BACKEND).toBe('openai');
    const served = services.vllm!.command!;
    expect(served[served.indexOf('--served-model-name') + 1]).toBe(audio.QWEN_MODEL_NAME);
    for (const name of ['jellyfin-audio-processor', 'publisher', 'discord'])
      expect(new URL(env(name).NATS_URL!).hostname).toBe('nats');
    expect(services.nats!.command).toContain('-js');
  });

  it('the model the server loads is the one the pull step fetches into the shared cache', () => {
    const pull = services['clip-model-pull']!.command!;
    expect(pull.slice(pull.indexOf('pull') + 1)[0]).toBe(env('clip').CLIP_MODEL);
    expect(env('clip-model-pull').HF_HOME).toBe(env('clip').HF_HOME);
  });

  it('the example services run npm scripts that exist in examples/package.json', () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'examples/package.json'), 'utf8')) as {
      name: string;
      scripts: Record<string, string>;
    };
    for (const name of ['hi-rag-gateway', 'publisher', 'discord']) {
      const [npm, run, script, w, workspace] = services[name]!.command!;
      expect([npm, run, w, workspace], name).toEqual(['npm', 'run', '-w', pkg.name]);
      expect(pkg.scripts[script!], `${name}: npm script ${script}`).toBeDefined();
    }
  });
});
