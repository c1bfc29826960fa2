// The lexical half of upstream's hybrid score when Meilisearch is off:
// `rapidfuzz.fuzz.token_set_ratio(query, text) / 100` (rapidfuzz 3.9, as pinned upstream: no
// preprocessing, so case and punctuation count; tokens split on whitespace; a float, not rounded).
// No maintained JavaScript port matches it: fuzzball (thefuzz's port) lower-cases and rounds to
// integers by default, so the documented algorithm is written here once.

const split = (s: string): string[] => s.split(/\s+/u).filter(Boolean);
const len = (s: string): number => [...s].length; // Python counts code points, not UTF-16 units

/** Indel distance (insertions + deletions) = len(a) + len(b) − 2·LCS(a, b), over code points. */
export function indelDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0 || y.length === 0) return x.length + y.length;
  let prev = new Uint32Array(y.length + 1);
  let cur = new Uint32Array(y.length + 1);
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      cur[j] = x[i - 1] === y[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return x.length + y.length - 2 * prev[y.length]!;
}

const normDistance = (dist: number, lensum: number): number => (lensum ? 100 - (100 * dist) / lensum : 100);

/**
 * `rapidfuzz.fuzz.token_set_ratio(s1, s2)` (0–100): 100 when one token set contains the other,
 * else the best `ratio` among intersection vs. each side and the two differences.
 */
export function tokenSetRatio(s1: string, s2: string): number {
  const a = new Set(split(s1));
  const b = new Set(split(s2));
  if (a.size === 0 || b.size === 0) return 0;
  const intersect = [...a].filter((t) => b.has(t));
  const diffAb = [...a].filter((t) => !b.has(t)).sort();
  const diffBa = [...b].filter((t) => !a.has(t)).sort();
  if (intersect.length > 0 && (diffAb.length === 0 || diffBa.length === 0)) return 100;

  const diffAbJoined = diffAb.join(' ');
  const diffBaJoined = diffBa.join(' ');
  const abLen = len(diffAbJoined);
  const baLen = len(diffBaJoined);
  const sectLen = len(intersect.join(' '));
  const sep = sectLen !== 0 ? 1 : 0;
  const sectAbLen = sectLen + sep + abLen;
  const sectBaLen = sectLen + sep + baLen;

  const result = normDistance(indelDistance(diffAbJoined, diffBaJoined), sectAbLen + sectBaLen);
  if (!sectLen) return result;
  // sect vs sect+diff: only the difference (and one separator) has to be inserted.
  const sectAbRatio = normDistance(sep + abLen, sectLen + sectAbLen);
  const sectBaRatio = normDistance(sep + baLen, sectLen + sectBaLen);
  return Math.max(result, sectAbRatio, sectBaRatio);
}
