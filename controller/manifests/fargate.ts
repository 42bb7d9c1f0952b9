/**
 * Task sizes as ECS accepts them, and the CPU/memory combinations Fargate can run.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */

/** A whole positive size from a number, a numeric string, or a number with `unit` (scaled by `perUnit`). */
function parseSize(value: string | number, unit: RegExp, perUnit: number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  const match = new RegExp(`^\\s*(\\d*\\.?\\d+)\\s*(${unit.source})?\\s*$`, 'i').exec(value);
  if (!match?.[1]) return undefined;
  const size = match[2] ? Number(match[1]) * perUnit : Number(match[1]);
  return Number.isInteger(size) && size > 0 ? size : undefined;
}

/** CPU units from a task-level `cpu`: `512`, `"512"`, `"0.5 vCPU"`, `"1 vcpu"`. Undefined when unreadable. */
export function parseCpuUnits(value: string | number): number | undefined {
  return parseSize(value, /vcpu/, 1024);
}

/** MiB from a task-level `memory`: `2048`, `"2048"`, `"2 GB"`, `"2GB"`. Undefined when unreadable. */
export function parseMemoryMiB(value: string | number): number | undefined {
  return parseSize(value, /gb/, 1024);
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** Memory sizes (MiB) Fargate offers for each CPU size (units). */
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

/** A short description of the memory choices for a Fargate CPU size: `1024–4096 MiB in steps of 1024`. */
export function describeFargateMemory(cpu: number): string | undefined {
  const sizes = FARGATE_SIZES.get(cpu);
  if (!sizes || sizes.length === 0) return undefined;
  if (sizes.length <= 3) return `${sizes.join(', ')} MiB`;
  const step = (sizes[1] ?? 0) - (sizes[0] ?? 0);
  return `${sizes[0]}–${sizes[sizes.length - 1]} MiB in steps of ${step}`;
}
