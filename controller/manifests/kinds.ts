/** The kinds of manifest Berth understands, and the JSON Schema (in `schemas/`) of each. */
export const KINDS = [
  { kind: 'Cluster', schemaFile: 'cluster.schema.json' },
  { kind: 'Service', schemaFile: 'service.schema.json' },
  { kind: 'AutoScalingGroup', schemaFile: 'auto-scaling-group.schema.json' },
  { kind: 'Alarm', schemaFile: 'alarm.schema.json' },
  { kind: 'QueueScaler', schemaFile: 'queue-scaler.schema.json' },
] as const;

export type Kind = (typeof KINDS)[number]['kind'];

export const API_VERSION = 'berth.dev/v1';

export function isKind(value: unknown): value is Kind {
  return KINDS.some((k) => k.kind === value);
}
