/**
 * The AWS simulator: one HTTP port serving ECS, Auto Scaling, CloudWatch and the Resource Groups
 * Tagging API over their real wire protocols, plus an admin API under `/_sim/` to seed it, move its
 * clock, inject faults and read what was called, and the ECS container agent's task protection
 * endpoint under `/api/` that tasks call (`ECS_AGENT_URI`).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { AutoScalingSim } from './autoscaling/autoscaling-sim.ts';
import type { AutoScalingGroupSeed } from './autoscaling/autoscaling-sim.ts';
import { RealClock, VirtualClock } from './clock.ts';
import type { SimClock } from './clock.ts';
import { CloudWatchSim } from './cloudwatch/cloudwatch-sim.ts';
import { EcsSim } from './ecs/ecs-sim.ts';
import { AGENT_PATH_PREFIX, serveAgentEndpoint } from './ecs/task-protection.ts';
import { AwsError } from './errors.ts';
import { errorResponse, parseRequest, successResponse } from './protocol.ts';
import type { AwsRequest, HttpResponse, ServiceName } from './protocol.ts';
import { Scheduler } from './scheduler.ts';
import { TaggingSim } from './tagging/tagging-sim.ts';
import { DEFAULT_BEHAVIOUR, seededRandom } from './world.ts';
import type { HistoryEvent, SimBehaviour, SimService, World } from './world.ts';

/** What the simulator starts with: the account, behaviour and the infrastructure Berth adopts. */
export interface SimSeed {
  /** @defaultValue `"123456789012"` */
  readonly accountId?: string;
  /** Region of resources that name none. @defaultValue `"ap-southeast-2"` */
  readonly region?: string;
  readonly behaviour?: Partial<SimBehaviour>;
  /** ECS clusters that exist before Berth runs. */
  readonly clusters?: readonly { readonly name: string; readonly region?: string }[];
  readonly autoScalingGroups?: readonly AutoScalingGroupSeed[];
}

/** The deployment's own infrastructure: the g5.xlarge group of GPU OCR workers, empty. */
export const FILOT_SEED: SimSeed = {
  accountId: '070017891928',
  region: 'ap-southeast-2',
  autoScalingGroups: [
    {
      name: 'filot-ocr-gpu-asg',
      instanceType: 'g5.xlarge',
      minSize: 0,
      maxSize: 4,
      desiredCapacity: 0,
      cluster: 'filot-ocr-gpu-cluster',
      availabilityZones: ['ap-southeast-2a', 'ap-southeast-2b', 'ap-southeast-2c'],
    },
  ],
};

/** One AWS call as the simulator received it. */
export interface CallLogEntry {
  /** Real time (ms since the epoch) the call arrived. */
  readonly time: number;
  readonly service: ServiceName;
  readonly operation: string;
  /** The access key ID that signed it. */
  readonly caller: string;
}

/** How many calls the log keeps. */
const CALL_LOG_LIMIT = 50_000;

/** A fault injected into matching calls. */
export interface FaultRule {
  /** @defaultValue every service */
  readonly service?: ServiceName;
  /** @defaultValue every operation */
  readonly operation?: string;
  /** Share of calls (0–1) answered with the service's throttling error. */
  readonly throttleRate?: number;
  /** Share of calls (0–1) answered with the service's internal (5xx) error. */
  readonly errorRate?: number;
  /** Real milliseconds added before answering. */
  readonly latencyMs?: number;
  /** Answer every matching call with this error. */
  readonly error?: { readonly code: string; readonly message?: string; readonly status?: number };
  /** Apply to this many matching calls only. @defaultValue unlimited */
  readonly count?: number;
}

export interface SimulatorOptions {
  /** `virtual` (tests advance time explicitly) or `real` (the demo). @defaultValue `'virtual'` */
  readonly clock?: 'virtual' | 'real';
  /** Real-time mode: simulated seconds per real second. @defaultValue 1 */
  readonly speed?: number;
  /** @defaultValue {@link FILOT_SEED} */
  readonly seed?: SimSeed;
  /** Seed of the random source (fault injection, IDs). @defaultValue 1 */
  readonly randomSeed?: number;
}

const THROTTLING: Readonly<Record<ServiceName, () => AwsError>> = {
  ecs: () => new AwsError('ThrottlingException', 'Rate exceeded'),
  autoscaling: () => new AwsError('Throttling', 'Rate exceeded'),
  cloudwatch: () => new AwsError('Throttling', 'Rate exceeded'),
  tagging: () => new AwsError('ThrottledException', 'Rate exceeded'),
};
const INTERNAL: Readonly<Record<ServiceName, () => AwsError>> = {
  ecs: () => new AwsError('ServerException', 'Service encountered an internal error', 500),
  autoscaling: () => new AwsError('InternalFailure', 'An internal error occurred', 500),
  cloudwatch: () => new AwsError('InternalServiceError', 'Internal service error', 500),
  tagging: () => new AwsError('InternalServiceException', 'Internal service error', 500),
};

interface SimState {
  readonly world: World;
  readonly services: Readonly<Record<ServiceName, SimService>>;
  readonly ecs: EcsSim;
  readonly autoscaling: AutoScalingSim;
  readonly cloudwatch: CloudWatchSim;
  readonly tagging: TaggingSim;
  readonly history: HistoryEvent[];
}

export class Simulator {
  readonly clock: SimClock;
  private state!: SimState;
  private seedData: SimSeed;
  private readonly randomSeed: number;
  private faults: { rule: FaultRule; remaining: number }[] = [];
  private calls = new Map<string, number>();
  /** Every call in order (the newest CALL_LOG_LIMIT): who made it and when, in real time. */
  private log: CallLogEntry[] = [];
  private throttled = new Map<string, number>();
  private server: Server | undefined;
  private ticker: NodeJS.Timeout | undefined;

  constructor(options: SimulatorOptions = {}) {
    this.clock = options.clock === 'real' ? new RealClock(options.speed ?? 1) : new VirtualClock();
    this.seedData = options.seed ?? FILOT_SEED;
    this.randomSeed = options.randomSeed ?? 1;
    this.reset();
  }

  get ecs(): EcsSim {
    return this.state.ecs;
  }

  get autoscaling(): AutoScalingSim {
    return this.state.autoscaling;
  }

  get cloudwatch(): CloudWatchSim {
    return this.state.cloudwatch;
  }

  /** Simulated epoch milliseconds, with everything due until then already run. */
  now(): number {
    this.sync();
    return this.state.world.scheduler.now;
  }

  get history(): readonly HistoryEvent[] {
    return this.state.history;
  }

  /** Empties the world and loads the seed again (or a new one). Counters and faults are cleared. */
  reset(seed: SimSeed = this.seedData): void {
    const scheduler = new Scheduler(this.clock.now());
    const history: HistoryEvent[] = [];
    const random = seededRandom(this.randomSeed);
    const behaviour = { ...DEFAULT_BEHAVIOUR, ...seed.behaviour };
    const world: { -readonly [K in keyof World]: World[K] } = {
      scheduler,
      accountId: seed.accountId ?? '123456789012',
      defaultRegion: seed.region ?? 'ap-southeast-2',
      behaviour,
      random,
      record: (event) => history.push({ at: scheduler.now, ...event }),
      ecs: undefined as unknown as EcsSim,
    };
    const ecs = new EcsSim(world);
    world.ecs = ecs;
    const autoscaling = new AutoScalingSim(world);
    const cloudwatch = new CloudWatchSim(world);
    const tagging = new TaggingSim([ecs, cloudwatch, autoscaling]);
    // Seed first, install after: a bad seed throws and leaves the current world as it was.
    for (const cluster of seed.clusters ?? []) ecs.seedCluster(cluster.region ?? world.defaultRegion, cluster.name);
    for (const group of seed.autoScalingGroups ?? []) autoscaling.seedGroup(group);
    this.state = { world, services: { ecs, autoscaling, cloudwatch, tagging }, ecs, autoscaling, cloudwatch, tagging, history };
    this.seedData = seed;
    this.faults = [];
    this.calls.clear();
    this.log = [];
    this.throttled.clear();
  }

  /** Runs everything due up to the clock's time. */
  sync(): void {
    this.state.world.scheduler.runUntil(this.clock.now());
  }

  /** Moves simulated time forward by `seconds`, running what falls due on the way. */
  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError(`seconds must be 0 or more, got ${seconds}`);
    const ms = seconds * 1000;
    if (this.clock instanceof VirtualClock) this.clock.set(this.clock.now() + ms);
    else if (this.clock instanceof RealClock) this.clock.skip(ms);
    this.sync();
  }

  injectFault(rule: FaultRule): void {
    this.faults.push({ rule, remaining: rule.count ?? Infinity });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The call log: every call with its caller (access key ID) and real time, oldest first. */
  callLog(): readonly CallLogEntry[] {
    return [...this.log];
  }

  /** API calls so far: service → operation → count (throttled and failed calls included). */
  callCounts(): Record<string, Record<string, number>> {
    return group(this.calls);
  }

  /** Calls answered with an injected throttling error: service → operation → count. */
  throttleCounts(): Record<string, Record<string, number>> {
    return group(this.throttled);
  }

  resetCallCounts(): void {
    this.calls.clear();
    this.log = [];
    this.throttled.clear();
  }

  dump(): unknown {
    this.sync();
    return {
      now: new Date(this.state.world.scheduler.now).toISOString(),
      clock: this.clock.mode,
      accountId: this.state.world.accountId,
      ecs: this.state.ecs.dump(),
      autoscaling: this.state.autoscaling.dump(),
      cloudwatch: this.state.cloudwatch.dump(),
    };
  }

  /** Handles one AWS API request (already parsed): faults, counting, the operation, the response. */
  async call(request: AwsRequest): Promise<HttpResponse> {
    const requestId = randomUUID();
    const key = `${request.service}:${request.operation}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    this.log.push({ time: Date.now(), service: request.service, operation: request.operation, caller: request.caller ?? '' });
    if (this.log.length > CALL_LOG_LIMIT) this.log.splice(0, this.log.length - CALL_LOG_LIMIT);
    try {
      await this.applyFaults(request, key);
      this.sync();
      const service = this.state.services[request.service];
      const operation = service.operations[request.operation];
      if (!operation) {
        throw request.protocol === 'query'
          ? new AwsError('InvalidAction', `The action ${request.operation} is not valid for this web service.`)
          : new AwsError('UnknownOperationException', `Unknown operation ${request.operation}`);
      }
      const output = operation(request.input, { region: request.region, requestId });
      return successResponse(request, output, requestId);
    } catch (err) {
      if (err instanceof AwsError) return errorResponse(request, err, requestId);
      // A bug in the simulator surfaces as the service's internal error, with the cause in the message.
      const message = err instanceof Error ? err.message : String(err);
      return errorResponse(request, new AwsError(INTERNAL[request.service]().code, `simulator error: ${message}`, 500), requestId);
    }
  }

  private async applyFaults(request: AwsRequest, key: string): Promise<void> {
    for (const fault of this.faults) {
      const { rule } = fault;
      if (rule.service !== undefined && rule.service !== request.service) continue;
      if (rule.operation !== undefined && rule.operation !== request.operation) continue;
      if (fault.remaining <= 0) continue;
      fault.remaining--;
      if (rule.latencyMs) await new Promise((r) => setTimeout(r, rule.latencyMs));
      const { world } = this.state;
      if (rule.throttleRate !== undefined && world.random() < rule.throttleRate) {
        this.throttled.set(key, (this.throttled.get(key) ?? 0) + 1);
        throw THROTTLING[request.service]();
      }
      if (rule.errorRate !== undefined && world.random() < rule.errorRate) throw INTERNAL[request.service]();
      if (rule.error) throw new AwsError(rule.error.code, rule.error.message ?? rule.error.code, rule.error.status ?? 400);
    }
  }

  /** Starts serving on `port` (0: a free port) on loopback. Resolves to the endpoint URL. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => void this.serve(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    if (this.clock.mode === 'real') {
      this.ticker = setInterval(() => this.sync(), 100);
      this.ticker.unref();
    }
    const { port: actual } = server.address() as AddressInfo;
    return `http://${host}:${actual}`;
  }

  /** Stops serving. Idempotent. */
  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    let response: HttpResponse;
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname.startsWith('/_sim/')) {
      response = this.admin(req.method ?? 'GET', url, body);
    } else if (url.pathname.startsWith(AGENT_PATH_PREFIX)) {
      // The ECS container agent's endpoint a task calls (ECS_AGENT_URI), not an AWS API (those are POST /).
      this.sync();
      response = serveAgentEndpoint(this.state.world, req.method ?? 'GET', url.pathname, body);
    } else {
      let request: AwsRequest | undefined;
      try {
        request = parseRequest(req.headers, body, this.state.world.defaultRegion);
      } catch (err) {
        const error = err instanceof AwsError ? err : new AwsError('SerializationException', String(err));
        response = errorResponse(undefined, error, randomUUID());
        res.writeHead(response.status, response.headers).end(response.body);
        return;
      }
      response = await this.call(request);
    }
    res.writeHead(response.status, response.headers).end(response.body);
  }

  /** The admin API, JSON in and out. */
  private admin(method: string, url: URL, body: string): HttpResponse {
    const json = (status: number, value: unknown): HttpResponse => ({
      status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(value),
    });
    try {
      const input = body.trim() === '' ? {} : (parseYaml(body) as Record<string, unknown>);
      const route = `${method} ${url.pathname}`;
      switch (route) {
        case 'GET /_sim/health':
          return json(200, { status: 'ok' });
        case 'GET /_sim/clock':
          return json(200, { now: new Date(this.now()).toISOString(), epochMs: this.now(), mode: this.clock.mode });
        case 'POST /_sim/clock/advance':
          this.advance(Number(input.seconds ?? 0));
          return json(200, { now: new Date(this.now()).toISOString(), epochMs: this.now() });
        case 'POST /_sim/seed':
          this.reset(input);
          return json(200, { seeded: true });
        case 'POST /_sim/reset':
          this.reset();
          return json(200, { reset: true });
        case 'POST /_sim/faults':
          this.injectFault(input);
          return json(200, { faults: this.faults.map((f) => f.rule) });
        case 'DELETE /_sim/faults':
          this.clearFaults();
          return json(200, { faults: [] });
        case 'GET /_sim/calls/log':
          return json(200, { calls: this.callLog() });
        case 'GET /_sim/calls':
          return json(200, { calls: this.callCounts(), throttled: this.throttleCounts() });
        case 'DELETE /_sim/calls':
          this.resetCallCounts();
          return json(200, { calls: {} });
        case 'GET /_sim/state':
          return json(200, this.dump());
        case 'GET /_sim/history':
          return json(200, { history: this.history.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) });
        default:
          return json(404, { error: `no admin route ${route}`, routes: ADMIN_ROUTES });
      }
    } catch (err) {
      return json(400, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}

const ADMIN_ROUTES = [
  'GET /_sim/health',
  'GET /_sim/clock',
  'POST /_sim/clock/advance {seconds}',
  'POST /_sim/seed <SimSeed as JSON or YAML>',
  'POST /_sim/reset',
  'POST /_sim/faults <FaultRule>',
  'DELETE /_sim/faults',
  'GET /_sim/calls',
  'GET /_sim/calls/log',
  'DELETE /_sim/calls',
  'GET /_sim/state',
  'GET /_sim/history',
];

function group(counts: ReadonlyMap<string, number>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [key, n] of counts) {
    const [service = '', operation = ''] = key.split(':');
    (out[service] ??= {})[operation] = n;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  // The SDK gzips large request bodies (PutMetricData over 10 KB), as CloudWatch accepts.
  return (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
}

/** Starts a simulator on a free loopback port, for tests and the demo. */
export async function startSimulator(options: SimulatorOptions & { readonly port?: number } = {}): Promise<{ sim: Simulator; endpoint: string; close: () => Promise<void> }> {
  const sim = new Simulator(options);
  const endpoint = await sim.listen(options.port ?? 0);
  return { sim, endpoint, close: () => sim.close() };
}
