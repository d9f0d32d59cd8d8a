import type { Evaluation } from './walk';

/** The JSON shape of `criu-lens trace --format json` (DESIGN.md §7; keep it stable). */
export function traceReport(e: Evaluation) {
  return {
    verdict: e.verdict,
    culprits: e.culprits.map((c) => ({ path: c.doc, range: c.range, table: c.table, chain: c.chain, rule: c.rule })),
    // `skipped` (additive): the step stands for that many rules the chain index ruled out.
    trace: e.trace.map((t) => ({ path: t.doc, range: t.range, table: t.table, chain: t.chain, rule: t.rule, match: t.match, action: t.action, ...(t.skipped ? { skipped: t.skipped } : {}) })),
    ...(e.conditions.length ? { conditions: e.conditions } : {}),
  };
}
