// Prometheus metrics of the embedding server (prom-client), in a registry of its own so that
// several servers in one process (tests) or an application's own registry never collide.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The server's metrics (names are documented in SERVER.md). */
export interface ServerMetrics {
  /** The registry holding them; `registry.metrics()` is the exposition text. */
  readonly registry: Registry;
  /** Requests by route and outcome. */
  readonly requests: Counter<'route' | 'outcome'>;
  /** Items (texts, images) by route and outcome. */
  readonly items: Counter<'route' | 'outcome'>;
  /** Errors (per item or per request) by wire code. */
  readonly errors: Counter<'code'>;
  /** Items admitted and not yet answered. */
  readonly queueDepth: Gauge;
  /** Items waiting for a model batch, by modality. */
  readonly waiting: Gauge<'modality'>;
  /** Sizes of the model batches. */
  readonly batchSize: Histogram<'modality'>;
  /** Duration of the model batches, seconds. */
  readonly batchSeconds: Histogram<'modality'>;
  /** Request latency, seconds, by route. */
  readonly requestSeconds: Histogram<'route'>;
  /** 1 for the execution provider, model and dtype in use. */
  readonly provider: Gauge<'provider' | 'model' | 'dtype'>;
}

/** Creates the metrics in a new registry (with Node's process metrics unless `defaults` is false). */
export function createServerMetrics(defaults = true): ServerMetrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'clip_server_requests_total',
      help: 'HTTP requests by route and outcome (ok, client_error, unauthorized, shed, timeout, cancelled, error)',
      labelNames: ['route', 'outcome'],
      registers,
    }),
    items: new Counter({
      name: 'clip_server_items_total',
      help: 'Texts and images by route and outcome (ok, error)',
      labelNames: ['route', 'outcome'],
      registers,
    }),
    errors: new Counter({
      name: 'clip_server_errors_total',
      help: 'Errors by code, per item and per request',
      labelNames: ['code'],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'clip_server_queue_depth',
      help: 'Items admitted and not yet answered (fetching, waiting or in a model batch)',
      registers,
    }),
    waiting: new Gauge({
      name: 'clip_server_batch_waiting',
      help: 'Items waiting for a model batch',
      labelNames: ['modality'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'clip_server_batch_size',
      help: 'Items per model batch',
      labelNames: ['modality'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'clip_server_batch_duration_seconds',
      help: 'Duration of model batches',
      labelNames: ['modality'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    requestSeconds: new Histogram({
      name: 'clip_server_request_duration_seconds',
      help: 'Request latency by route',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    provider: new Gauge({
      name: 'clip_server_execution_provider',
      help: 'The execution provider, model and dtype in use (value 1)',
      labelNames: ['provider', 'model', 'dtype'],
      registers,
    }),
  };
}

/** The outcome label of a finished request. */
export function outcomeOf(status: number): string {
  if (status < 400) return 'ok';
  if (status === 401) return 'unauthorized';
  if (status === 429) return 'shed';
  if (status === 499) return 'cancelled';
  if (status === 504) return 'timeout';
  if (status < 500) return 'client_error';
  return 'error';
}
