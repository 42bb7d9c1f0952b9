import { distance } from 'fastest-levenshtein';

/**
 * The candidate a mistyped word was most likely meant to be (`desiredCont` → `desiredCount`,
 * `fargate` → `FARGATE`), or undefined when none is close enough to be a useful hint.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  if (input === '') return undefined;
  const lower = input.toLowerCase();
  const sameIgnoringCase = candidates.find((c) => c.toLowerCase() === lower);
  if (sameIgnoringCase !== undefined) return sameIgnoringCase;
  const limit = Math.max(2, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `a`, `a or b`, `a, b or c`, each in backticks; long lists are cut with a count of the rest. */
export function listChoices(values: readonly string[], max = 12): string {
  const shown = values.slice(0, max).map((v) => `\`${v}\``);
  if (values.length > max) shown.push(`${values.length - max} more`);
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}
