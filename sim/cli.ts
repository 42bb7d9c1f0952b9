/** `berth sim`: the simulator as a long-running process. */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { Simulator } from './simulator.ts';
import type { SimSeed } from './simulator.ts';

/** The seed file is not readable or not a mapping. */
export class SeedFileError extends Error {
  override readonly name = 'SeedFileError';
}

export async function loadSeedFile(path: string): Promise<SimSeed> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new SeedFileError(`${path}: no such file`);
  }
  let seed: unknown;
  try {
    seed = parse(text);
  } catch (err) {
    throw new SeedFileError(`${path}: not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (seed === null || typeof seed !== 'object' || Array.isArray(seed)) {
    throw new SeedFileError(`${path}: a seed is a mapping with accountId, region, behaviour, clusters and autoScalingGroups`);
  }
  return seed;
}

export interface RunOptions {
  readonly port: number;
  readonly host: string;
  readonly seed: SimSeed | undefined;
  readonly clock: 'real' | 'virtual';
  readonly speed: number;
}

/** Serves until SIGINT or SIGTERM, then closes; resolves to the exit code. */
export async function runSimulator(options: RunOptions): Promise<number> {
  const sim = new Simulator({ clock: options.clock, speed: options.speed, ...(options.seed ? { seed: options.seed } : {}) });
  const endpoint = await sim.listen(options.port, options.host);
  const region = options.seed?.region ?? 'ap-southeast-2';
  process.stdout.write(
    [
      `berth sim: listening on ${endpoint} (${options.clock} clock${options.clock === 'real' ? `, speed ${options.speed}` : ''})`,
      `  point the AWS SDK or CLI at it: AWS_ENDPOINT_URL=${endpoint} AWS_REGION=${region} AWS_ACCESS_KEY_ID=sim AWS_SECRET_ACCESS_KEY=sim`,
      `  admin API: ${endpoint}/_sim/state, /_sim/calls, /_sim/history, POST /_sim/clock/advance, /_sim/faults, /_sim/seed, /_sim/reset`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sim.close();
  process.stdout.write('berth sim: stopped\n');
  return 0;
}
