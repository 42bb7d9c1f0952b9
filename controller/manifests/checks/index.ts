/** The semantic checks, run in this order after every document has passed its schema. */
import { alarmDatapoints, alarmMetric } from './alarms.ts';
import { groupBounds, scalerBounds } from './capacity.ts';
import type { Check } from './context.ts';
import { dependencyCycles, dependsOnKnown } from './dependencies.ts';
import { pinnedImages } from './images.ts';
import { uniqueAwsNames, uniqueNames } from './names.ts';
import { clusterNameTypos, scalerOwnedFields, scalerTargetsExist } from './references.ts';
import { noPlaintextSecrets } from './secrets.ts';
import { containers, environmentNames, fargateLimits, launchTypeOrStrategy, networkMode, taskSize } from './task-definition.ts';

export const SEMANTIC_CHECKS: readonly Check[] = [
  uniqueNames,
  uniqueAwsNames,
  scalerTargetsExist,
  scalerOwnedFields,
  clusterNameTypos,
  dependsOnKnown,
  dependencyCycles,
  groupBounds,
  scalerBounds,
  launchTypeOrStrategy,
  taskSize,
  fargateLimits,
  networkMode,
  containers,
  environmentNames,
  noPlaintextSecrets,
  pinnedImages,
  alarmMetric,
  alarmDatapoints,
];
