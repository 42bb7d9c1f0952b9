/**
 * The EC2 instance types an Auto Scaling group of the simulator can launch, with what the ECS agent
 * on such an instance registers: CPU units, memory and GPUs.
 */

/** One instance type as EC2 documents it. */
export interface InstanceTypeSpec {
  readonly vcpus: number;
  /** Memory in MiB (the GiB EC2 lists × 1024). */
  readonly memoryMiB: number;
  readonly gpus: number;
  /** The accelerator, for the dump and the demo's display. */
  readonly gpuModel?: string;
}

const GIB = 1024;

/** From the EC2 instance type pages (vCPUs, memory in GiB, GPUs). */
export const INSTANCE_TYPES: Readonly<Record<string, InstanceTypeSpec>> = {
  'g5.xlarge': { vcpus: 4, memoryMiB: 16 * GIB, gpus: 1, gpuModel: 'NVIDIA A10G' },
  'g5.2xlarge': { vcpus: 8, memoryMiB: 32 * GIB, gpus: 1, gpuModel: 'NVIDIA A10G' },
  'g5.4xlarge': { vcpus: 16, memoryMiB: 64 * GIB, gpus: 1, gpuModel: 'NVIDIA A10G' },
  'g5.8xlarge': { vcpus: 32, memoryMiB: 128 * GIB, gpus: 1, gpuModel: 'NVIDIA A10G' },
  'g5.12xlarge': { vcpus: 48, memoryMiB: 192 * GIB, gpus: 4, gpuModel: 'NVIDIA A10G' },
  'g5.16xlarge': { vcpus: 64, memoryMiB: 256 * GIB, gpus: 1, gpuModel: 'NVIDIA A10G' },
  'g5.24xlarge': { vcpus: 96, memoryMiB: 384 * GIB, gpus: 4, gpuModel: 'NVIDIA A10G' },
  'g5.48xlarge': { vcpus: 192, memoryMiB: 768 * GIB, gpus: 8, gpuModel: 'NVIDIA A10G' },
  'g4dn.xlarge': { vcpus: 4, memoryMiB: 16 * GIB, gpus: 1, gpuModel: 'NVIDIA T4' },
  'g4dn.2xlarge': { vcpus: 8, memoryMiB: 32 * GIB, gpus: 1, gpuModel: 'NVIDIA T4' },
  'g6.xlarge': { vcpus: 4, memoryMiB: 16 * GIB, gpus: 1, gpuModel: 'NVIDIA L4' },
  'p3.2xlarge': { vcpus: 8, memoryMiB: 61 * GIB, gpus: 1, gpuModel: 'NVIDIA V100' },
  't3.medium': { vcpus: 2, memoryMiB: 4 * GIB, gpus: 0 },
  't3.large': { vcpus: 2, memoryMiB: 8 * GIB, gpus: 0 },
  'm5.large': { vcpus: 2, memoryMiB: 8 * GIB, gpus: 0 },
  'm5.xlarge': { vcpus: 4, memoryMiB: 16 * GIB, gpus: 0 },
  'c5.large': { vcpus: 2, memoryMiB: 4 * GIB, gpus: 0 },
  'c5.xlarge': { vcpus: 4, memoryMiB: 8 * GIB, gpus: 0 },
};

/**
 * Share of the nominal memory the ECS agent registers. The agent reports the memory the OS sees
 * (less than nominal: the kernel and firmware keep some) minus ECS_RESERVED_MEMORY; on Amazon
 * Linux this comes to about 94–96 % (a t3.medium registers 3,904 of 4,096 MiB), so 94 % is a
 * slightly conservative approximation.
 */
export const ECS_MEMORY_SHARE = 0.94;

export function instanceTypeSpec(instanceType: string): InstanceTypeSpec | undefined {
  return Object.hasOwn(INSTANCE_TYPES, instanceType) ? INSTANCE_TYPES[instanceType] : undefined;
}

/** What the ECS agent registers: 1,024 CPU units per vCPU, memory in MiB, the GPU count. */
export function ecsResources(spec: InstanceTypeSpec): { readonly cpu: number; readonly memory: number; readonly gpus: number } {
  return { cpu: spec.vcpus * 1024, memory: Math.floor(spec.memoryMiB * ECS_MEMORY_SHARE), gpus: spec.gpus };
}
