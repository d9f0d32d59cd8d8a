/**
 * One regular expression that matches wherever any of `patterns` can: a line that fails it needs
 * none of them, so a scan over a million lines costs one test per line instead of one per pattern.
 * A prefilter only (callers still run the patterns themselves): it is case-insensitive if any
 * pattern is, and the patterns must not use backreferences, whose numbers the join would shift.
 */
export function anyOf(patterns: readonly RegExp[]): RegExp {
  const flagged = patterns.find((p) => /[^i]/.test(p.flags));
  if (flagged) throw new Error(`anyOf: the flags of ${flagged} would change what it matches`);
  return new RegExp(patterns.map((p) => `(?:${p.source})`).join('|'), patterns.some((p) => p.ignoreCase) ? 'i' : '');
}
