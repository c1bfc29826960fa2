import type { z } from 'zod';
import { describeZodIssues } from '@pmoves/internal';

/** Outcome of {@link parseModelJson}: the validated value or why it was rejected. */
export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; problem: string };

function candidates(text: string): string[] {
  const out: string[] = [text];
  for (const m of text.matchAll(/```(?:json|JSON)?\s*([\s\S]*?)```/g)) if (m[1]) out.push(m[1]);
  // Balanced {...} spans, skipping braces inside strings, for replies with prose around the JSON.
  for (let start = text.indexOf('{'); start >= 0; start = text.indexOf('{', start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        out.push(text.slice(start, i + 1));
        break;
      }
    }
    if (out.length > 8) break;
  }
  return out;
}

/**
 * Finds a JSON object in a model reply — bare, inside a ``` fence, or surrounded by prose — and
 * validates it with `schema`. Never invents values: anything unparseable or invalid is a problem.
 */
export function parseModelJson<S extends z.ZodType>(text: string, schema: S): ParseOutcome<z.infer<S>> {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false, problem: 'the reply was empty' };
  let lastProblem = 'the reply contained no JSON object';
  for (const c of candidates(trimmed)) {
    let value: unknown;
    try {
      value = JSON.parse(c.trim());
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      lastProblem = 'the reply was JSON but not an object';
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) return { ok: true, value: parsed.data };
    lastProblem = `the JSON did not match the schema (${describeZodIssues(parsed.error.issues)})`;
  }
  return { ok: false, problem: lastProblem };
}
