// Stand-in rerank backends for the contract tests (tests only): each scores by word overlap and
// answers in its server's wire format, in reversed index order as real servers sort by score.
import type { ServerResponse } from 'node:http';
import { json, type Received } from './loopback';

/** Test scoring: query word i weighs i+1, score = matched weight / total (a stand-in backend, tests only). */
export function overlap(query: string, doc: string): number {
  const words = query.toLowerCase().split(/\s+/);
  const d = doc.toLowerCase().split(/\s+/);
  const total = (words.length * (words.length + 1)) / 2;
  return words.reduce((sum, w, i) => sum + (d.includes(w) ? i + 1 : 0), 0) / total;
}

export const docs = ['a red bicycle', 'a cat on a red sofa', 'nothing relevant', 'the cat sleeps'];
export const candidates = docs.map((text, i) => ({ id: `c${i}`, text }));
export const query = 'red cat';

/** Answers in reversed index order, as real servers sort by score: the client must map indices back. */
export function teiOk(r: Received, res: ServerResponse) {
  const b = r.body as { query: string; texts: string[] };
  const out = b.texts.map((t, index) => ({ index, score: overlap(b.query, t) })).reverse();
  json(res, 200, out);
}
export function cohereOk(r: Received, res: ServerResponse) {
  const b = r.body as { query: string; documents: string[] };
  const results = b.documents.map((t, index) => ({ index, relevance_score: overlap(b.query, t) })).reverse();
  json(res, 200, { id: 'x', results, meta: {} });
}
export function tzOk(r: Received, res: ServerResponse) {
  const b = r.body as { query: string; documents: string[] };
  json(res, 200, { scores: b.documents.map((t) => overlap(b.query, t)) });
}

/** The order every stand-in gives `candidates` for `query`. */
export const expectedOrder = ['c1', 'c3', 'c0', 'c2'];
