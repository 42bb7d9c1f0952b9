/** A content hash of the task definition a Service manifest asks for: how Berth remembers a spec that failed to roll out. */
import { createHash } from 'node:crypto';
import type { ServiceManifest } from '../../manifests/types.ts';
import { normalizeTaskDefinition } from './task-definition.ts';

export function specHash(manifest: ServiceManifest): string {
  return createHash('sha256').update(JSON.stringify(normalizeTaskDefinition(manifest.spec.taskDefinition))).digest('hex').slice(0, 16);
}
