/**
 * Observation: what AWS holds for everything the manifests name, read in as few calls as the APIs
 * allow (DescribeClusters 100 names a call, DescribeServices 10, DescribeAutoScalingGroups 50,
 * DescribeAlarms 100, GetResources 100 a page), and the inventory of what this Berth owns.
 */
import type { Activity, AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { Cluster, Service, TaskDefinition } from '@aws-sdk/client-ecs';
import type { AutoScalingPort, CloudWatchPort, EcsPort, TaggingPort } from '../aws/ports.ts';
import type { AlarmManifest, AutoScalingGroupManifest, ClusterManifest, ManifestEntry, ServiceManifest } from '../manifests/types.ts';
import { clusterRef } from '../manifests/types.ts';
import { inTransition } from '../kinds/auto-scaling-group/health.ts';
import { discoverOwned } from './inventory.ts';
import { tagsByKey } from './ownership.ts';
import type { OwnedResource } from './inventory.ts';

/** The AWS ports of each region: what plan and apply reach AWS through. */
export interface AwsPorts {
  ecs(region: string): EcsPort;
  autoscaling(region: string): AutoScalingPort;
  cloudwatch(region: string): CloudWatchPort;
  tagging(region: string): TaggingPort;
}

/** What was observed for one plan, kept for apply so it does not read AWS twice. Keys are `region/name`. */
export interface Observed {
  readonly clusters: ReadonlyMap<string, Cluster | undefined>;
  /** `region/cluster/service`. */
  readonly services: ReadonlyMap<string, Service | undefined>;
  readonly taskDefinitions: ReadonlyMap<string, TaskDefinition>;
  readonly groups: ReadonlyMap<string, AutoScalingGroup | undefined>;
  /** Recent scaling activities, only of groups not at their desired capacity (health needs them there). */
  readonly activities: ReadonlyMap<string, readonly Activity[]>;
  /** Alarm manifests and the deployment alarms services name. */
  readonly alarms: ReadonlyMap<string, MetricAlarm | undefined>;
  /** Tags of existing alarms by ARN: from the inventory when owned, else ListTagsForResource. */
  readonly alarmTags: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Everything this Berth owns in the manifests' regions. */
  readonly owned: readonly OwnedResource[];
}

export const clusterName = (m: ClusterManifest): string => m.spec.clusterName ?? m.metadata.name;
export const serviceName = (m: ServiceManifest): string => m.spec.serviceName ?? m.metadata.name;
export const groupName = (m: AutoScalingGroupManifest): string => m.spec.autoScalingGroupName ?? m.metadata.name;
export const alarmName = (m: AlarmManifest): string => m.spec.alarmName ?? m.metadata.name;
export { clusterRef } from '../manifests/types.ts';
/** The deployment alarms a Service names. */
export const deploymentAlarms = (m: ServiceManifest): readonly string[] => m.spec.deploymentConfiguration?.alarms?.alarmNames ?? [];

/** Names per region, each once. */
class ByRegion {
  readonly names = new Map<string, Set<string>>();
  add(region: string, name: string): void {
    (this.names.get(region) ?? this.names.set(region, new Set()).get(region))?.add(name);
  }
}

export interface ObserveInput {
  readonly clusters: readonly ManifestEntry<ClusterManifest>[];
  readonly services: readonly ManifestEntry<ServiceManifest>[];
  readonly groups: readonly ManifestEntry<AutoScalingGroupManifest>[];
  readonly alarms: readonly ManifestEntry<AlarmManifest>[];
  readonly region: (spec: { region?: string }, key: string) => string;
  /** Regions to take inventory in: those the manifests use, and the default. */
  readonly regions: readonly string[];
  readonly instance: string;
  /** Take the inventory at all (GetResources); without it `owned` is empty. */
  readonly inventory: boolean;
  /** List owned task definition revisions too (prune needs them). */
  readonly taskDefinitionInventory: boolean;
}

const key = (m: { kind: string; metadata: { name: string } }): string => `${m.kind}/${m.metadata.name}`;

/** Observes everything the manifests name, and the inventory, in parallel where calls do not depend on each other. */
export async function observe(aws: AwsPorts, input: ObserveInput): Promise<Observed> {
  const clusterNames = new ByRegion();
  for (const c of input.clusters) clusterNames.add(input.region(c.manifest.spec, key(c.manifest)), clusterName(c.manifest));
  for (const s of input.services) clusterNames.add(input.region(s.manifest.spec, key(s.manifest)), clusterRef(s.manifest.spec.cluster));
  const groupNames = new ByRegion();
  for (const g of input.groups) groupNames.add(input.region(g.manifest.spec, key(g.manifest)), groupName(g.manifest));
  const alarmNames = new ByRegion();
  for (const a of input.alarms) alarmNames.add(input.region(a.manifest.spec, key(a.manifest)), alarmName(a.manifest));
  for (const s of input.services) for (const name of deploymentAlarms(s.manifest)) alarmNames.add(input.region(s.manifest.spec, key(s.manifest)), name);

  const [ecs, groups, alarms, owned] = await Promise.all([
    observeEcs(aws, input, clusterNames),
    observeGroups(aws, groupNames),
    observeAlarms(aws, alarmNames),
    input.inventory ? discoverOwned((r) => aws.tagging(r), input.regions, input.instance, { taskDefinitions: input.taskDefinitionInventory }) : Promise.resolve([]),
  ]);

  // Alarm tags: DescribeAlarms returns none. Owned alarms have theirs from the inventory; any other
  // existing alarm (not ours, or just created and not yet listed by the Tagging API) is asked once.
  const ownedTags = new Map(owned.map((r) => [r.arn, r.tags]));
  const alarmTags = new Map<string, ReadonlyMap<string, string>>();
  await Promise.all(
    [...alarms].map(async ([k, alarm]) => {
      const arn = alarm?.AlarmArn;
      if (arn === undefined) return;
      const known = ownedTags.get(arn);
      const tags = known ?? tagsByKey(await aws.cloudwatch(k.split('/')[0] ?? '').listTags(arn));
      alarmTags.set(arn, tags);
    }),
  );
  return { ...ecs, ...groups, alarms, alarmTags, owned };
}

async function observeEcs(aws: AwsPorts, input: ObserveInput, clusterNames: ByRegion): Promise<Pick<Observed, 'clusters' | 'services' | 'taskDefinitions'>> {
  // Clusters: one DescribeClusters per region (the port batches by 100).
  const clusters = new Map<string, Cluster | undefined>();
  await Promise.all(
    [...clusterNames.names].map(async ([region, names]) => {
      const { clusters: found } = await aws.ecs(region).describeClusters([...names]);
      for (const name of names) clusters.set(`${region}/${name}`, found.find((c) => c.clusterName === name && c.status !== 'INACTIVE'));
    }),
  );

  // Services: DescribeServices per existing cluster, 10 names a call.
  const perCluster = new Map<string, { region: string; cluster: string; names: string[] }>();
  for (const s of input.services) {
    const region = input.region(s.manifest.spec, key(s.manifest));
    const cluster = clusterRef(s.manifest.spec.cluster);
    const k = `${region}/${cluster}`;
    if (!clusters.get(k)) continue;
    const group = perCluster.get(k) ?? perCluster.set(k, { region, cluster, names: [] }).get(k);
    group?.names.push(serviceName(s.manifest));
  }
  const services = new Map<string, Service | undefined>();
  await Promise.all(
    [...perCluster.values()].map(async ({ region, cluster, names }) => {
      const { services: found } = await aws.ecs(region).describeServices(cluster, names);
      for (const name of names) services.set(`${region}/${cluster}/${name}`, found.find((s) => s.serviceName === name));
    }),
  );

  // Task definitions in use: one DescribeTaskDefinition per distinct ARN, cached by the port.
  const taskDefinitions = new Map<string, TaskDefinition>();
  await Promise.all(
    [...services].map(async ([k, service]) => {
      const arn = service?.taskDefinition;
      if (!arn) return;
      taskDefinitions.set(arn, (await aws.ecs(k.split('/')[0] ?? '').describeTaskDefinition(arn)).taskDefinition);
    }),
  );
  return { clusters, services, taskDefinitions };
}

async function observeGroups(aws: AwsPorts, groupNames: ByRegion): Promise<Pick<Observed, 'groups' | 'activities'>> {
  const groups = new Map<string, AutoScalingGroup | undefined>();
  const activities = new Map<string, readonly Activity[]>();
  await Promise.all(
    [...groupNames.names].map(async ([region, names]) => {
      const { groups: found } = await aws.autoscaling(region).describeGroups([...names]);
      for (const name of names) groups.set(`${region}/${name}`, found.find((g) => g.AutoScalingGroupName === name));
      // Activities only where health needs them: a group short of, or moving toward, its desired capacity.
      await Promise.all(
        found
          .filter((g) => {
            const instances = g.Instances ?? [];
            const inService = instances.filter((i) => i.LifecycleState === 'InService').length;
            return inService !== (g.DesiredCapacity ?? 0) || instances.some((i) => inTransition(i.LifecycleState));
          })
          .map(async (g) => {
            const name = g.AutoScalingGroupName ?? '';
            activities.set(`${region}/${name}`, await aws.autoscaling(region).describeActivities(name));
          }),
      );
    }),
  );
  return { groups, activities };
}

async function observeAlarms(aws: AwsPorts, alarmNames: ByRegion): Promise<Map<string, MetricAlarm | undefined>> {
  const alarms = new Map<string, MetricAlarm | undefined>();
  await Promise.all(
    [...alarmNames.names].map(async ([region, names]) => {
      const { alarms: found } = await aws.cloudwatch(region).describeAlarms([...names]);
      for (const name of names) alarms.set(`${region}/${name}`, found.find((a) => a.AlarmName === name));
    }),
  );
  return alarms;
}
