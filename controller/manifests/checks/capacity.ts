/** Sizes and bounds that must be consistent: ASG min ≤ desired ≤ max, scaler min ≤ max, and both together. */
import type { Check } from './context.ts';
import { where } from './context.ts';

export const groupBounds: Check = (ctx) => {
  for (const entry of ctx.of('AutoScalingGroup')) {
    const { minSize, maxSize, desiredCapacity } = entry.manifest.spec;
    if (minSize > maxSize) {
      ctx.report(entry, {
        rule: 'capacity/min-above-max',
        path: ['spec', 'minSize'],
        message: `minSize ${minSize} is above maxSize ${maxSize}`,
        expected: `minSize ≤ maxSize (${maxSize})`,
        found: String(minSize),
        fix: 'lower minSize or raise maxSize',
      });
    } else if (desiredCapacity !== undefined && (desiredCapacity < minSize || desiredCapacity > maxSize)) {
      ctx.report(entry, {
        rule: 'capacity/desired-out-of-bounds',
        path: ['spec', 'desiredCapacity'],
        message: `desiredCapacity ${desiredCapacity} is outside minSize ${minSize} … maxSize ${maxSize}`,
        expected: `${minSize} ≤ desiredCapacity ≤ ${maxSize}`,
        found: String(desiredCapacity),
        fix: `set desiredCapacity between ${minSize} and ${maxSize}, or move the bounds`,
      });
    }
  }
};

export const scalerBounds: Check = (ctx) => {
  for (const scaler of ctx.of('QueueScaler')) {
    const spec = scaler.manifest.spec;
    const minTasks = spec.minTasks ?? 0;
    if (minTasks > spec.maxTasks) {
      ctx.report(scaler, {
        rule: 'capacity/min-above-max',
        path: ['spec', 'minTasks'],
        message: `minTasks ${minTasks} is above maxTasks ${spec.maxTasks}`,
        expected: `minTasks ≤ maxTasks (${spec.maxTasks})`,
        found: String(minTasks),
        fix: 'lower minTasks or raise maxTasks',
      });
      continue;
    }
    if (spec.fallbackTasks !== undefined && (spec.fallbackTasks < minTasks || spec.fallbackTasks > spec.maxTasks)) {
      ctx.report(scaler, {
        rule: 'capacity/fallback-out-of-bounds',
        path: ['spec', 'fallbackTasks'],
        message: `fallbackTasks ${spec.fallbackTasks} is outside minTasks ${minTasks} … maxTasks ${spec.maxTasks}`,
        expected: `${minTasks} ≤ fallbackTasks ≤ ${spec.maxTasks}`,
        found: String(spec.fallbackTasks),
        fix: `set fallbackTasks between ${minTasks} and ${spec.maxTasks}`,
      });
    }
    // The group must be able to hold maxTasks, or the scaler asks for capacity it can never get.
    const groupName = spec.target.autoScalingGroup;
    const group = ctx.of('AutoScalingGroup').find((g) => g.manifest.metadata.name === groupName);
    if (!group) continue;
    const perInstance = spec.target.tasksPerInstance ?? 1;
    const needed = Math.ceil(spec.maxTasks / perInstance);
    if (needed > group.manifest.spec.maxSize) {
      ctx.report(scaler, {
        rule: 'capacity/group-too-small',
        severity: 'warning',
        path: ['spec', 'maxTasks'],
        message: `maxTasks ${spec.maxTasks} at ${perInstance} per instance needs ${needed} instances, but AutoScalingGroup ${group.manifest.metadata.name} (${where(group.source, ['spec', 'maxSize'])}) allows at most ${group.manifest.spec.maxSize}`,
        expected: `at most ${group.manifest.spec.maxSize * perInstance} tasks`,
        found: String(spec.maxTasks),
        fix: `lower maxTasks to ${group.manifest.spec.maxSize * perInstance}, or raise the group's maxSize to ${needed}`,
      });
    }
  }
};
