// `npm run smoke:clip` / `make smoke-clip`: runs the CLIP smoke check against the gateway at
// HIRAG_URL. Exit 0 when CLIP reranked the hits; 1 with the reason when reranking was not used,
// another provider answered, or no hit carries a rerank score; 2 on a bad environment.
import { EnvReader } from '@pmoves/internal';
import { ExampleConfigError } from '../../common/src/env';
import { errorMessage } from '../../common/src/log';
import { SMOKE_CLIP_FIELDS, smokeClip } from './clip-check';

async function main(): Promise<void> {
  const r = new EnvReader(process.env);
  const cfg = {
    url: r.get(SMOKE_CLIP_FIELDS.url),
    query: r.get(SMOKE_CLIP_FIELDS.query),
    namespace: r.get(SMOKE_CLIP_FIELDS.namespace),
    timeoutMs: r.get(SMOKE_CLIP_FIELDS.timeoutMs),
  };
  try {
    r.finish((m, issues) => new ExampleConfigError(m, issues));
  } catch (err) {
    console.error(`smoke-clip: ${errorMessage(err)}`);
    process.exit(2);
  }
  const res = await smokeClip(cfg);
  for (const l of res.lines) (res.ok ? console.log : console.error)(l);
  process.exit(res.ok ? 0 : 1);
}

void main();
