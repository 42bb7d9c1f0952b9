import { describe, expect, it } from 'vitest';
import { describeFargateMemory, FARGATE_SIZES, parseCpuUnits, parseMemoryMiB } from './fargate.ts';

describe('parseCpuUnits', () => {
  it.each([
    [512, 512],
    ['512', 512],
    ['0.25 vCPU', 256],
    ['.5 vCPU', 512],
    ['1 vCPU', 1024],
    ['2vcpu', 2048],
    ['  4 VCPU ', 4096],
    ['half', undefined],
    ['0.3 vCPU', undefined],
    [0, undefined],
    [1.5, undefined],
    ['', undefined],
  ] as const)('%j → %j', (input, expected) => {
    expect(parseCpuUnits(input)).toBe(expected);
  });
});

describe('parseMemoryMiB', () => {
  it.each([
    [2048, 2048],
    ['2048', 2048],
    ['2 GB', 2048],
    ['0.5GB', 512],
    ['8 gb', 8192],
    ['2 GiB', undefined],
    ['lots', undefined],
    [-1, undefined],
  ] as const)('%j → %j', (input, expected) => {
    expect(parseMemoryMiB(input)).toBe(expected);
  });
});

describe('Fargate sizes', () => {
  it('match the documented table at its edges', () => {
    expect(FARGATE_SIZES.get(256)).toEqual([512, 1024, 2048]);
    expect(FARGATE_SIZES.get(512)).toEqual([1024, 2048, 3072, 4096]);
    expect(FARGATE_SIZES.get(4096)?.at(-1)).toBe(30720);
    expect(FARGATE_SIZES.get(8192)?.[1]).toBe(20480);
    expect(FARGATE_SIZES.get(16384)?.at(-1)).toBe(122880);
    expect(FARGATE_SIZES.has(3072)).toBe(false);
  });

  it('describes the choices for a CPU size', () => {
    expect(describeFargateMemory(256)).toBe('512, 1024, 2048 MiB');
    expect(describeFargateMemory(512)).toBe('1024–4096 MiB in steps of 1024');
    expect(describeFargateMemory(300)).toBeUndefined();
  });
});
