/** A Service's launch settings and its task definition fit together as ECS requires. */
import { describeFargateMemory, FARGATE_SIZES, parseCpuUnits, parseMemoryMiB } from '../fargate.ts';
import type { ManifestEntry, ServiceManifest } from '../types.ts';
import type { Check, CheckContext } from './context.ts';

type ServiceEntry = ManifestEntry<ServiceManifest>;

const TD = ['spec', 'taskDefinition'] as const;

function usesFargate(spec: ServiceManifest['spec']): boolean {
  if (spec.launchType === 'FARGATE') return true;
  return (spec.capacityProviderStrategy ?? []).some((i) => i.capacityProvider === 'FARGATE' || i.capacityProvider === 'FARGATE_SPOT');
}

/** launchType and capacityProviderStrategy exclude each other (CreateService rejects both). */
export const launchTypeOrStrategy: Check = (ctx) => {
  for (const entry of ctx.of('Service')) {
    const spec = entry.manifest.spec;
    if (spec.launchType !== undefined && spec.capacityProviderStrategy !== undefined) {
      ctx.report(entry, {
        rule: 'service/launch-type-and-strategy',
        path: ['spec', 'capacityProviderStrategy'],
        at: 'key',
        message: 'a service takes either `launchType` or `capacityProviderStrategy`, not both',
        expected: 'one of them',
        found: 'both',
        fix: 'remove `launchType` to place tasks by capacity provider, or remove `capacityProviderStrategy`',
      });
    }
  }
};

/** Task-level cpu and memory are readable, and on Fargate they are one of its sizes. */
export const taskSize: Check = (ctx) => {
  for (const entry of ctx.of('Service')) {
    const td = entry.manifest.spec.taskDefinition;
    const fargate = usesFargate(entry.manifest.spec);
    const cpu = td.cpu === undefined ? undefined : parseCpuUnits(td.cpu);
    const memory = td.memory === undefined ? undefined : parseMemoryMiB(td.memory);
    for (const [field, value, parsed, what, expected, example] of [
      ['cpu', td.cpu, cpu, 'CPU size', 'CPU units such as 512 or "1024", or vCPUs such as "0.5 vCPU"', 'write the CPU units, e.g. `cpu: "512"`'],
      ['memory', td.memory, memory, 'memory size', 'MiB such as 2048 or "2048", or GB such as "2 GB"', 'write the memory in MiB, e.g. `memory: "2048"`'],
    ] as const) {
      if (value === undefined || parsed !== undefined) continue;
      ctx.report(entry, {
        rule: 'task-definition/size-format',
        path: [...TD, field],
        message: `task ${field} ${JSON.stringify(value)} is not a ${what} ECS reads`,
        expected,
        found: JSON.stringify(value),
        fix: example,
      });
    }
    if (!fargate) continue;
    if (td.cpu === undefined || td.memory === undefined) {
      const missing = td.cpu === undefined ? 'cpu' : 'memory';
      ctx.report(entry, {
        rule: 'fargate/size-required',
        path: [...TD],
        at: 'key',
        message: `a Fargate task definition needs a task-level \`${missing}\``,
        expected: '`cpu` and `memory` under taskDefinition',
        found: `no \`${missing}\``,
        fix: `add \`${missing}:\` under \`spec.taskDefinition\`, e.g. cpu "512" with memory "2048"`,
      });
    } else if (cpu !== undefined && memory !== undefined) {
      const sizes = FARGATE_SIZES.get(cpu);
      if (!sizes) {
        ctx.report(entry, {
          rule: 'fargate/size',
          path: [...TD, 'cpu'],
          message: `Fargate has no task size with ${cpu} CPU units`,
          expected: [...FARGATE_SIZES.keys()].join(', '),
          found: String(cpu),
          fix: `use one of ${[...FARGATE_SIZES.keys()].join(', ')} CPU units`,
        });
      } else if (!sizes.includes(memory)) {
        ctx.report(entry, {
          rule: 'fargate/size',
          path: [...TD, 'memory'],
          message: `Fargate does not run ${cpu} CPU units with ${memory} MiB of memory`,
          expected: `with ${cpu} CPU units: ${describeFargateMemory(cpu) ?? ''}`,
          found: `${memory} MiB`,
          fix: `pick a memory size allowed with ${cpu} CPU units, or another CPU size`,
        });
      }
    }
  }
};

/** What Fargate does not run: other network modes, GPUs, placement rules, missing FARGATE compatibility. */
export const fargateLimits: Check = (ctx) => {
  for (const entry of ctx.of('Service')) {
    const spec = entry.manifest.spec;
    if (!usesFargate(spec)) continue;
    const td = spec.taskDefinition;
    if (!(td.requiresCompatibilities ?? []).includes('FARGATE')) {
      ctx.report(entry, {
        rule: 'fargate/compatibility',
        path: td.requiresCompatibilities ? [...TD, 'requiresCompatibilities'] : [...TD],
        at: 'key',
        message: 'the service runs on Fargate but its task definition does not require FARGATE compatibility',
        expected: 'requiresCompatibilities including FARGATE',
        found: td.requiresCompatibilities ? JSON.stringify(td.requiresCompatibilities) : 'nothing',
        fix: 'add `requiresCompatibilities: [FARGATE]` under `spec.taskDefinition`',
      });
    }
    if (td.networkMode !== 'awsvpc') {
      ctx.report(entry, {
        rule: 'fargate/network-mode',
        path: td.networkMode === undefined ? [...TD] : [...TD, 'networkMode'],
        at: td.networkMode === undefined ? 'key' : 'value',
        message: 'Fargate tasks need networkMode awsvpc',
        expected: 'awsvpc',
        found: td.networkMode ?? 'nothing (bridge on EC2)',
        fix: 'set `networkMode: awsvpc` under `spec.taskDefinition`, with `spec.networkConfiguration.awsvpcConfiguration`',
      });
    }
    td.containerDefinitions.forEach((container, i) => {
      const gpu = (container.resourceRequirements ?? []).findIndex((r) => r.type === 'GPU');
      if (gpu === -1) return;
      ctx.report(entry, {
        rule: 'fargate/gpu',
        path: [...TD, 'containerDefinitions', i, 'resourceRequirements', gpu],
        message: `container ${container.name} asks for a GPU, which Fargate does not offer`,
        expected: 'no GPU resourceRequirements on Fargate',
        found: 'type: GPU',
        fix: 'run GPU work on EC2 (`launchType: EC2` on GPU instances), or remove the GPU requirement',
      });
    });
    for (const [path, present] of [
      [['spec', 'placementConstraints'], spec.placementConstraints?.length],
      [['spec', 'placementStrategy'], spec.placementStrategy?.length],
      [[...TD, 'placementConstraints'], td.placementConstraints?.length],
    ] as const) {
      if (!present) continue;
      ctx.report(entry, {
        rule: 'fargate/placement',
        path,
        at: 'key',
        message: `\`${path[path.length - 1]}\` does not apply to Fargate tasks`,
        expected: 'no placement rules on Fargate',
        found: `${present} rule(s)`,
        fix: `remove \`${path.join('.')}\``,
      });
    }
  }
};

/** awsvpc needs a network configuration and maps ports one to one; other modes take no network configuration. */
export const networkMode: Check = (ctx) => {
  for (const entry of ctx.of('Service')) {
    const spec = entry.manifest.spec;
    const td = spec.taskDefinition;
    if (td.networkMode === 'awsvpc') {
      if (!spec.networkConfiguration?.awsvpcConfiguration) {
        ctx.report(entry, {
          rule: 'network/awsvpc-configuration',
          path: ['spec'],
          at: 'key',
          message: 'a service whose tasks use networkMode awsvpc needs `networkConfiguration.awsvpcConfiguration`',
          expected: 'spec.networkConfiguration.awsvpcConfiguration with subnets and security groups',
          found: 'nothing',
          fix: 'add `networkConfiguration: { awsvpcConfiguration: { subnets: [...], securityGroups: [...] } }` under `spec`',
        });
      }
      td.containerDefinitions.forEach((container, c) => {
        (container.portMappings ?? []).forEach((mapping, m) => {
          if (mapping.hostPort === undefined || mapping.containerPort === undefined || mapping.hostPort === mapping.containerPort) return;
          ctx.report(entry, {
            rule: 'network/awsvpc-host-port',
            path: [...TD, 'containerDefinitions', c, 'portMappings', m, 'hostPort'],
            message: `in awsvpc mode the host port must equal the container port (${mapping.containerPort})`,
            expected: `hostPort absent or ${mapping.containerPort}`,
            found: String(mapping.hostPort),
            fix: `remove \`hostPort\` (it defaults to the container port) or set it to ${mapping.containerPort}`,
          });
        });
      });
    } else if (spec.networkConfiguration !== undefined) {
      ctx.report(entry, {
        rule: 'network/configuration-without-awsvpc',
        path: ['spec', 'networkConfiguration'],
        at: 'key',
        message: `\`networkConfiguration\` only applies to networkMode awsvpc; this task definition uses ${td.networkMode ?? 'the default (bridge)'}`,
        expected: 'networkMode awsvpc, or no networkConfiguration',
        found: td.networkMode ?? 'no networkMode',
        fix: 'set `networkMode: awsvpc` in the task definition, or remove `networkConfiguration`',
      });
    }
  }
};

/** Containers have unique names, references between them resolve, and they fit in the task. */
export const containers: Check = (ctx) => {
  for (const entry of ctx.of('Service')) {
    const td = entry.manifest.spec.taskDefinition;
    const names = new Map<string, number>();
    td.containerDefinitions.forEach((container, i) => {
      if (names.has(container.name)) {
        ctx.report(entry, {
          rule: 'containers/duplicate-name',
          path: [...TD, 'containerDefinitions', i, 'name'],
          message: `two containers are named ${container.name} (items ${names.get(container.name)} and ${i})`,
          expected: 'unique container names',
          found: JSON.stringify(container.name),
          fix: 'rename one of the containers',
        });
      } else names.set(container.name, i);
    });
    td.containerDefinitions.forEach((container, i) => {
      (container.dependsOn ?? []).forEach((dep, d) => {
        if (names.has(dep.containerName)) return;
        ctx.report(entry, {
          rule: 'containers/depends-on',
          path: [...TD, 'containerDefinitions', i, 'dependsOn', d, 'containerName'],
          message: `container ${container.name} depends on ${dep.containerName}, which is not a container of this task`,
          expected: [...names.keys()].join(', '),
          found: JSON.stringify(dep.containerName),
          fix: 'name a container of this task definition',
        });
      });
    });
    checkContainerMemory(ctx, entry);
    checkLoadBalancers(ctx, entry, names);
  }
};

function checkContainerMemory(ctx: CheckContext, entry: ServiceEntry): void {
  const td = entry.manifest.spec.taskDefinition;
  const taskMemory = td.memory === undefined ? undefined : parseMemoryMiB(td.memory);
  const taskCpu = td.cpu === undefined ? undefined : parseCpuUnits(td.cpu);
  if (td.memory === undefined) {
    // Without task-level memory, ECS needs a memory limit or reservation on every container.
    td.containerDefinitions.forEach((container, i) => {
      if (container.memory !== undefined || container.memoryReservation !== undefined) return;
      ctx.report(entry, {
        rule: 'containers/memory-required',
        path: [...TD, 'containerDefinitions', i],
        message: `container ${container.name} has no memory limit, and the task definition sets no task-level memory`,
        expected: 'task-level memory, or memory / memoryReservation on each container',
        found: 'neither',
        fix: 'add `memory:` under `spec.taskDefinition` (or on the container)',
      });
    });
  }
  const sum = (pick: (c: (typeof td.containerDefinitions)[number]) => number | undefined): number =>
    td.containerDefinitions.reduce((total, c) => total + (pick(c) ?? 0), 0);
  const containerMemory = sum((c) => c.memory ?? c.memoryReservation);
  if (taskMemory !== undefined && containerMemory > taskMemory) {
    ctx.report(entry, {
      rule: 'containers/memory-exceeds-task',
      path: [...TD, 'memory'],
      message: `the containers reserve ${containerMemory} MiB, more than the task's ${taskMemory} MiB`,
      expected: `at most ${taskMemory} MiB across containers`,
      found: `${containerMemory} MiB`,
      fix: 'raise the task memory or lower the containers\' memory',
    });
  }
  const containerCpu = sum((c) => c.cpu);
  if (taskCpu !== undefined && containerCpu > taskCpu) {
    ctx.report(entry, {
      rule: 'containers/cpu-exceeds-task',
      path: [...TD, 'cpu'],
      message: `the containers reserve ${containerCpu} CPU units, more than the task's ${taskCpu}`,
      expected: `at most ${taskCpu} CPU units across containers`,
      found: String(containerCpu),
      fix: 'raise the task cpu or lower the containers\' cpu',
    });
  }
}

function checkLoadBalancers(ctx: CheckContext, entry: ServiceEntry, names: ReadonlyMap<string, number>): void {
  const td = entry.manifest.spec.taskDefinition;
  (entry.manifest.spec.loadBalancers ?? []).forEach((lb, i) => {
    if (lb.containerName === undefined) return;
    const index = names.get(lb.containerName);
    const container = index === undefined ? undefined : td.containerDefinitions[index];
    if (!container) {
      ctx.report(entry, {
        rule: 'service/load-balancer-container',
        path: ['spec', 'loadBalancers', i, 'containerName'],
        message: `load balancer ${i} routes to container ${lb.containerName}, which is not in the task definition`,
        expected: [...names.keys()].join(', '),
        found: JSON.stringify(lb.containerName),
        fix: 'name a container of spec.taskDefinition',
      });
      return;
    }
    const ports = (container.portMappings ?? []).map((p) => p.containerPort);
    if (lb.containerPort !== undefined && !ports.includes(lb.containerPort)) {
      ctx.report(entry, {
        rule: 'service/load-balancer-port',
        path: ['spec', 'loadBalancers', i, 'containerPort'],
        message: `load balancer ${i} routes to port ${lb.containerPort}, which container ${container.name} does not map`,
        expected: ports.length > 0 ? ports.join(', ') : 'a port in the container\'s portMappings',
        found: String(lb.containerPort),
        fix: `add a portMapping for ${lb.containerPort} to ${container.name}, or route to a mapped port`,
      });
    }
  });
}

/** An environment variable is defined once, either as a value or as a secret. */
export const environmentNames: Check = (ctx) => {
  for (const entry of ctx.of('Service')) {
    entry.manifest.spec.taskDefinition.containerDefinitions.forEach((container, c) => {
      const base = [...TD, 'containerDefinitions', c] as const;
      const seen = new Set<string>();
      (container.environment ?? []).forEach((variable, v) => {
        if (variable.name === undefined) return;
        if (seen.has(variable.name)) {
          ctx.report(entry, {
            rule: 'environment/duplicate',
            path: [...base, 'environment', v, 'name'],
            message: `environment variable ${variable.name} is set twice in container ${container.name}`,
            expected: 'each name once',
            found: JSON.stringify(variable.name),
            fix: 'remove one of the two entries',
          });
        }
        seen.add(variable.name);
      });
      (container.secrets ?? []).forEach((secret, s) => {
        if (!seen.has(secret.name)) return;
        ctx.report(entry, {
          rule: 'environment/secret-and-value',
          path: [...base, 'secrets', s, 'name'],
          message: `${secret.name} is both a plain environment variable and a secret in container ${container.name}`,
          expected: 'the name in `environment` or in `secrets`, not both',
          found: 'both',
          fix: `remove ${secret.name} from \`environment\``,
        });
      });
    });
  }
};
