/**
 * ECS ARNs and the IDs inside them. Services, tasks and container instances use the long ARN
 * format (with the cluster name), as every account created since 2021 does:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html#ecs-resource-ids
 */

/** Where a resource lives: its region and account. */
export interface Scope {
  readonly region: string;
  readonly account: string;
}

function ecsArn(scope: Scope, resource: string): string {
  return `arn:aws:ecs:${scope.region}:${scope.account}:${resource}`;
}

export function clusterArn(scope: Scope, cluster: string): string {
  return ecsArn(scope, `cluster/${cluster}`);
}

export function serviceArn(scope: Scope, cluster: string, service: string): string {
  return ecsArn(scope, `service/${cluster}/${service}`);
}

export function taskArn(scope: Scope, cluster: string, taskId: string): string {
  return ecsArn(scope, `task/${cluster}/${taskId}`);
}

export function containerInstanceArn(scope: Scope, cluster: string, id: string): string {
  return ecsArn(scope, `container-instance/${cluster}/${id}`);
}

export function taskDefinitionArn(scope: Scope, family: string, revision: number): string {
  return ecsArn(scope, `task-definition/${family}:${revision}`);
}

/** A container's ARN: AWS gives each container of a task a UUID; here it derives from the task ID. */
export function containerArn(scope: Scope, cluster: string, taskId: string, index: number): string {
  const hex = `${taskId}${index.toString(16).padStart(8, '0')}`.slice(-32);
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return ecsArn(scope, `container/${cluster}/${taskId}/${uuid}`);
}

/** An ECS ARN taken apart: `arn:aws:ecs:R:A:service/CLUSTER/NAME` → type `service`, path `[CLUSTER, NAME]`. */
export interface ParsedArn extends Scope {
  readonly type: string;
  readonly path: readonly string[];
}

const ECS_ARN = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):(\d{12}):([a-z-]+)\/(.+)$/;

export function parseArn(value: string): ParsedArn | undefined {
  const match = ECS_ARN.exec(value);
  if (!match) return undefined;
  const [, region = '', account = '', type = '', rest = ''] = match;
  return { region, account, type, path: rest.split('/') };
}

export function isArn(value: string): boolean {
  return value.startsWith('arn:');
}

/**
 * The resource's own name or ID from a name, an ID or an ARN, and the cluster an ARN names
 * (long format) if any: `arn:…:task/web/abc` → `{ id: 'abc', cluster: 'web' }`.
 */
export function refParts(ref: string): { readonly id: string; readonly cluster?: string } {
  if (!isArn(ref)) return { id: ref };
  const parsed = parseArn(ref);
  if (!parsed) return { id: ref };
  const id = parsed.path[parsed.path.length - 1] ?? ref;
  return parsed.path.length >= 2 ? { id, cluster: parsed.path[0] } : { id };
}

/** IDs drawn from the world's seeded random source, so that a run is reproducible. */
export class Ids {
  private readonly random: () => number;

  constructor(random: () => number) {
    this.random = random;
  }

  /** `length` lowercase hex digits (task and container instance IDs have 32). */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.random() * 0x1_0000_0000).toString(16).padStart(8, '0');
    return out.slice(0, length);
  }

  /** A deployment ID: `ecs-svc/` and 19 digits, as AWS shows them. */
  deploymentId(): string {
    let digits = String(1 + Math.floor(this.random() * 9));
    while (digits.length < 19) digits += String(Math.floor(this.random() * 10));
    return `ecs-svc/${digits}`;
  }

  /** A UUID-shaped ID (service events, attachments). */
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}
