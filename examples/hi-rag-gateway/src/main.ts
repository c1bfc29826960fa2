// The CLIP-reranking hi-rag gateway as a service:
//   npm run gateway -w @pmoves/examples        # sample mode, RERANK_PROVIDER=clip
//   HIRAG_UPSTREAM_URL=http://hi-rag-gateway-v2:8086 npm run gateway -w @pmoves/examples   # sidecar
import { createLogger, errorMessage } from '../../common/src/log';
import { listen } from '../../common/src/http';
import { onShutdown } from '../../common/src/shutdown';
import { createGatewayApp } from './app';
import { createHiRagFromConfig, loadGatewayConfig } from './config';
import { sampleRetriever, sidecarRetriever } from './retrievers';
import { loadSampleIndex } from './sample-index';

const USAGE = `hi-rag-gateway — upstream's /hirag/query with CLIP reranking (@pmoves/rerank)

  sample mode (default): a small shipped index, scored as upstream scores its hits
  sidecar mode: HIRAG_UPSTREAM_URL=http://hi-rag-gateway-v2:8086 (retrieval there, use_rerank:false)

  PORT=8086 HOST=127.0.0.1  RERANK_PROVIDER=clip (default here) RERANK_FALLBACK=flag,none
  CLIP_MODEL_PATH=/models/clip-vit-base-patch32 or CLIP_ENDPOINT=http://clip:8095
  Every variable: docs/LOCAL_TOOLING_REFERENCE.md`;

const log = createLogger('hi-rag-gateway');

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  console.error(USAGE);
  let cfg;
  try {
    cfg = await loadGatewayConfig(process.env);
  } catch (err) {
    log('error', 'configuration rejected', { error: errorMessage(err) });
    process.exit(2);
  }
  for (const w of cfg.warnings) log('warn', 'configuration', { warning: w });
  const e = cfg.rerankEnv;
  if (e.RERANK_PROVIDER?.trim().toLowerCase() === 'clip' && !e.CLIP_ENDPOINT && !e.CLIP_MODEL_PATH)
    log(
      'warn',
      'RERANK_PROVIDER=clip without CLIP_ENDPOINT or CLIP_MODEL_PATH: the model is looked up in the Hugging Face cache on the first query',
      {
        model: e.CLIP_MODEL ?? 'Xenova/clip-vit-base-patch32',
      },
    );

  const index = cfg.upstream ? null : await loadSampleIndex({ graphBoost: cfg.graphBoost });
  const retriever = cfg.upstream
    ? sidecarRetriever(cfg.upstream, cfg.upstreamTimeoutMs)
    : sampleRetriever(index!);
  // Sample mode: the CLIP provider may read the thumbnails this gateway drew, and nothing else on disk.
  const hirag = createHiRagFromConfig(cfg, index ? { mediaRoots: [index.thumbnailDir] } : {});
  const { app } = createGatewayApp({
    hirag,
    retriever,
    namespace: cfg.namespace,
    alpha: cfg.alpha,
    requestTimeoutMs: cfg.requestTimeoutMs,
    rerankInfo: cfg.rerankInfo,
    log,
  });
  const server = await listen(app, cfg.port, cfg.host);
  log('info', 'listening', {
    url: server.url,
    mode: retriever.mode,
    chain: hirag.status().chain.map((c) => c.id),
  });
  onShutdown(async () => {
    await server.close();
    await hirag.dispose();
    await index?.close();
  }, log);
}

main().catch((err) => {
  log('error', 'gateway failed', { error: errorMessage(err) });
  process.exit(1);
});
