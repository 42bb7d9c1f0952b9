/**
 * Task-level CPU and memory as RegisterTaskDefinition reads them ("1 vCPU", "1024"; "2 GB", "2048")
 * and the CPU/memory pairs Fargate runs.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */

/** A whole positive size from a numeric string, or a number with `unit` scaled by 1024. */
function parseSize(value: string, unit: string): number | undefined {
  const match = new RegExp(`^\\s*(\\d*\\.?\\d+)\\s*(${unit})?\\s*$`, 'i').exec(value);
  if (!match?.[1]) return undefined;
  const size = match[2] ? Number(match[1]) * 1024 : Number(match[1]);
  return Number.isInteger(size) && size > 0 ? size : undefined;
}

/** CPU units from `"512"`, `"0.5 vCPU"`, `"1vcpu"`; undefined when ECS would reject it. */
export function parseCpu(value: string): number | undefined {
  return parseSize(value, 'vcpu');
}

/** MiB from `"2048"`, `"2 GB"`, `"2gb"`; undefined when ECS would reject it. */
export function parseMemory(value: string): number | undefined {
  return parseSize(value, 'gb');
}

function steps(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** Memory sizes (MiB) Fargate offers for each CPU size (units). */
const FARGATE_SIZES: ReadonlyMap<number, ReadonlySet<number>> = new Map([
  [256, new Set([512, 1024, 2048])],
  [512, new Set(steps(1024, 4096, 1024))],
  [1024, new Set(steps(2048, 8192, 1024))],
  [2048, new Set(steps(4096, 16384, 1024))],
  [4096, new Set(steps(8192, 30720, 1024))],
  [8192, new Set(steps(16384, 61440, 4096))],
  [16384, new Set(steps(32768, 122880, 8192))],
]);

export function isFargateSize(cpu: number, memory: number): boolean {
  return FARGATE_SIZES.get(cpu)?.has(memory) ?? false;
}
