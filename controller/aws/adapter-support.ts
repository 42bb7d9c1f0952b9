/** What every SDK adapter shares: batching, de-duplication, and the one place errors are classified. */
import { classifyAwsError } from './classify.ts';

/** `items` in consecutive slices of at most `size` (an API's per-call limit). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The names once each, in first-seen order. */
export function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/** Runs one SDK call of `operation` (`ecs:DescribeServices`); anything it throws leaves as a classified `ReconcileError`. */
export async function classified<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw classifyAwsError(err, operation);
  }
}
