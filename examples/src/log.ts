/** One JSON line per event on stderr, like PMOVES's services log. */
export function log(
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields: Record<string, unknown> = {},
): void {
  if (process.env.PMOVES_EXAMPLES_QUIET === '1' && level === 'info') return;
  console.error(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }));
}
