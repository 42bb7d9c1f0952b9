/**
 * Ownership by AWS tags: Berth changes only what it created (or was told to adopt), and marks what
 * it manages so that inventory and prune can find it.
 */
import type { Tag } from '@aws-sdk/client-ecs';

export const TAG_MANAGED_BY = 'berth.dev/managed-by';
export const TAG_MANIFEST = 'berth.dev/manifest';
export const TAG_REVISION = 'berth.dev/revision';
/** On a service: the spec hash of a rollout the circuit breaker failed; the same spec is not rolled out again. */
export const TAG_FAILED_SPEC = 'berth.dev/failed-spec';

/** The tags Berth puts on what it manages. */
export function ownershipTags(instance: string, manifestKey: string, revision: string | undefined): Tag[] {
  const tags: Tag[] = [
    { key: TAG_MANAGED_BY, value: instance },
    { key: TAG_MANIFEST, value: manifestKey },
  ];
  if (revision !== undefined) tags.push({ key: TAG_REVISION, value: revision });
  return tags;
}

/** Tags as a map, whichever way the service spells them (ECS `{key, value}`, CloudWatch and Auto Scaling `{Key, Value}`). */
export function tagsByKey(tags: readonly { readonly key?: string; readonly value?: string; readonly Key?: string; readonly Value?: string }[] | undefined): Map<string, string> {
  return new Map((tags ?? []).map((t) => [t.key ?? t.Key ?? '', t.value ?? t.Value ?? '']));
}

export type OwnershipVerdict =
  | { readonly verdict: 'owned' }
  | { readonly verdict: 'adopt' }
  | { readonly verdict: 'refused'; readonly reason: 'NotOwned' | 'OwnedByAnotherInstance' | 'OwnedByAnotherManifest'; readonly message: string };

/**
 * Whether Berth instance `instance` may change the resource tagged `tags` for manifest `key`.
 * Without Berth's tag it is refused unless the manifest says `berth.dev/adopt: "true"`.
 */
export function ownership(tags: readonly Tag[] | undefined, instance: string, key: string, adopt: boolean, what: string): OwnershipVerdict {
  const value = (k: string): string | undefined => tags?.find((t) => t.key === k)?.value;
  const managedBy = value(TAG_MANAGED_BY);
  const manifest = value(TAG_MANIFEST);
  if (managedBy === instance && (manifest === undefined || manifest === key)) return { verdict: 'owned' };
  if (adopt) return { verdict: 'adopt' };
  if (managedBy === undefined) {
    return {
      verdict: 'refused',
      reason: 'NotOwned',
      message: `${what} exists but was not created by Berth (no ${TAG_MANAGED_BY} tag). To manage it from git, add the annotation berth.dev/adopt: "true" to ${key}; Berth then adds its tags.`,
    };
  }
  if (managedBy !== instance) {
    return {
      verdict: 'refused',
      reason: 'OwnedByAnotherInstance',
      message: `${what} is managed by Berth instance "${managedBy}", not "${instance}". Run with --instance ${managedBy}, or adopt it with berth.dev/adopt: "true".`,
    };
  }
  return {
    verdict: 'refused',
    reason: 'OwnedByAnotherManifest',
    message: `${what} is managed by ${manifest ?? 'another manifest'}, not ${key}. Two manifests name the same AWS resource; rename one, or adopt it with berth.dev/adopt: "true".`,
  };
}
