/**
 * Capacity provider strategies and Fargate platform versions: what CreateCluster,
 * PutClusterCapacityProviders, CreateService and UpdateService check and store.
 *
 * The simulator knows the two Fargate capacity providers only (FARGATE and FARGATE_SPOT, which
 * every account has); it has no CreateCapacityProvider, so an Auto Scaling group provider is
 * "not found", as one never created would be.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProviderStrategyItem.html
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-linux-fargate.html
 */
import type { CapacityProviderStrategyItem } from '@aws-sdk/client-ecs';
import { AwsError } from '../errors.ts';
import type { ClusterRecord, LaunchType } from './model.ts';
import { invalidParameter } from './requests.ts';

/** The providers every account has; they only need associating with a cluster. */
export const FARGATE_PROVIDERS: ReadonlySet<string> = new Set(['FARGATE', 'FARGATE_SPOT']);

/** A strategy can name at most 20 providers (CreateService, RunTask, CreateCluster). */
const MAX_STRATEGY_ITEMS = 20;
const MAX_WEIGHT = 1000;
const MAX_BASE = 100_000;

/** As AWS words it (seen from CreateCluster and PutClusterCapacityProviders). */
export const PROVIDER_NOT_FOUND = 'The specified capacity provider was not found. Specify a valid capacity provider and try again.';
/** As AWS words it (seen from CreateService and RunTask). */
export const PROVIDER_NOT_ASSOCIATED =
  'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.';

/** A provider the simulator knows (a Fargate one), or InvalidParameterException as AWS answers. */
export function checkProviderExists(name: string): void {
  if (!FARGATE_PROVIDERS.has(name)) throw invalidParameter(PROVIDER_NOT_FOUND);
}

/**
 * A strategy's items checked against CapacityProviderStrategyItem's constraints, with weight and
 * base filled in (0) as DescribeServices and DescribeClusters return them. The messages of these
 * checks could not be confirmed against AWS; the limits are the API reference's.
 */
export function readStrategy(items: readonly CapacityProviderStrategyItem[]): CapacityProviderStrategyItem[] {
  if (items.length > MAX_STRATEGY_ITEMS) throw invalidParameter(`capacityProviderStrategy can have at most ${MAX_STRATEGY_ITEMS} items.`);
  const seen = new Set<string>();
  let withBase = 0;
  const out: CapacityProviderStrategyItem[] = [];
  for (const item of items) {
    const provider = item.capacityProvider ?? '';
    if (provider.length < 1 || provider.length > 255) throw invalidParameter('capacityProvider can not be blank.');
    if (seen.has(provider)) throw invalidParameter(`Duplicate capacity provider '${provider}' in the capacity provider strategy.`);
    seen.add(provider);
    const weight = item.weight ?? 0;
    const base = item.base ?? 0;
    if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) throw invalidParameter(`weight must be between 0 and ${MAX_WEIGHT}.`);
    if (!Number.isInteger(base) || base < 0 || base > MAX_BASE) throw invalidParameter(`base must be between 0 and ${MAX_BASE}.`);
    if (base > 0) withBase++;
    out.push({ capacityProvider: provider, weight, base });
  }
  if (withBase > 1) throw invalidParameter('Only one capacity provider in a capacity provider strategy can have a base defined.');
  return out;
}

/** Every provider of the strategy is associated with the cluster, or InvalidParameterException as AWS answers. */
export function checkAssociated(strategy: readonly CapacityProviderStrategyItem[], associated: readonly string[]): void {
  for (const item of strategy) if (!associated.includes(item.capacityProvider ?? '')) throw invalidParameter(PROVIDER_NOT_ASSOCIATED);
}

/**
 * A strategy a service can place tasks with: associated with the cluster, and with several
 * providers at least one weight above 0 (the API reference: "any RunTask or CreateService actions
 * using the capacity provider strategy will fail"; the message is not confirmed).
 */
export function checkServiceStrategy(cluster: ClusterRecord, strategy: readonly CapacityProviderStrategyItem[]): void {
  checkAssociated(strategy, cluster.capacityProviders);
  if (strategy.length > 1 && strategy.every((i) => i.weight === 0)) {
    throw invalidParameter('At least one capacity provider in a capacity provider strategy must have a weight greater than 0.');
  }
}

/** Whether two filled-in strategies are the same (provider order aside). */
export function sameStrategy(a: readonly CapacityProviderStrategyItem[] | undefined, b: readonly CapacityProviderStrategyItem[] | undefined): boolean {
  const key = (s: readonly CapacityProviderStrategyItem[] | undefined) =>
    JSON.stringify(
      (s ?? [])
        .map((i) => [i.capacityProvider ?? '', i.weight ?? 0, i.base ?? 0])
        .sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : String(x[0]) > String(y[0]) ? 1 : 0)),
    );
  return key(a) === key(b);
}

/** What a strategy's tasks run on: the Fargate providers run them on Fargate. */
export function launchTypeOfStrategy(strategy: readonly CapacityProviderStrategyItem[]): LaunchType {
  return strategy.every((i) => FARGATE_PROVIDERS.has(i.capacityProvider ?? '')) ? 'FARGATE' : 'EC2';
}

/**
 * The provider the next task of a deployment goes to: first the provider with a base until it
 * runs `base` tasks, then by weight (the provider furthest below its share of the tasks beyond the
 * base; ties to the first listed). `counts` holds the deployment's live tasks per provider.
 */
export function chooseProvider(strategy: readonly CapacityProviderStrategyItem[], counts: ReadonlyMap<string, number>): string | undefined {
  for (const item of strategy) {
    const base = item.base ?? 0;
    if (base > 0 && (counts.get(item.capacityProvider ?? '') ?? 0) < base) return item.capacityProvider;
  }
  const weighted = strategy.filter((i) => (i.weight ?? 0) > 0);
  if (weighted.length === 0) return strategy[0]?.capacityProvider;
  let total = 0;
  for (const item of strategy) total += Math.max(0, (counts.get(item.capacityProvider ?? '') ?? 0) - (item.base ?? 0));
  const weightSum = weighted.reduce((sum, i) => sum + (i.weight ?? 0), 0);
  let best: CapacityProviderStrategyItem | undefined;
  let bestDeficit = -Infinity;
  for (const item of weighted) {
    const have = Math.max(0, (counts.get(item.capacityProvider ?? '') ?? 0) - (item.base ?? 0));
    const deficit = ((total + 1) * (item.weight ?? 0)) / weightSum - have;
    if (deficit > bestDeficit) {
      best = item;
      bestDeficit = deficit;
    }
  }
  return best?.capacityProvider;
}

/** Fargate platform versions (Linux 1.3.0 and 1.4.0, Windows 1.0.0) and LATEST. */
const PLATFORM_VERSIONS: ReadonlySet<string> = new Set(['LATEST', '1.4.0', '1.3.0', '1.0.0']);

/**
 * The platform version a service keeps: as given on Fargate, LATEST by default; none on EC2,
 * where AWS refuses one (its message, as seen from CreateService). An unknown version is
 * PlatformUnknownException, worded as the API reference describes that exception.
 */
export function readPlatformVersion(given: string | undefined, launchType: LaunchType): string | undefined {
  if (launchType === 'EC2') {
    if (given !== undefined && given !== '') throw invalidParameter('The platform version must be null when specifying an EC2 launch type.');
    return undefined;
  }
  if (given === undefined || given === '') return 'LATEST';
  if (!PLATFORM_VERSIONS.has(given)) throw new AwsError('PlatformUnknownException', 'The specified platform version does not exist.');
  return given;
}

/** The version a deployment's tasks run on: LATEST is 1.4.0 on Linux. */
export function resolvePlatformVersion(version: string | undefined): string | undefined {
  return version === 'LATEST' ? '1.4.0' : version;
}
