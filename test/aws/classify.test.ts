/**
 * classifyAwsError: the real SDK exception classes constructed directly, Node and SDK transport
 * errors as the SDK raises them, and errors the real SDK clients raise against the simulator.
 */
import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand, LimitExceededFault, ResourceContentionFault, ScalingActivityInProgressFault, AutoScalingServiceException } from '@aws-sdk/client-auto-scaling';
import { CloudWatchServiceException, DescribeAlarmsCommand, InternalServiceFault, InvalidParameterValueException, PutMetricAlarmCommand, ResourceNotFound } from '@aws-sdk/client-cloudwatch';
import {
  AccessDeniedException,
  ClientException,
  ClusterNotFoundException,
  ConflictException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  LimitExceededException,
  ListClustersCommand,
  PlatformTaskDefinitionIncompatibilityException,
  PlatformUnknownException,
  ResourceNotFoundException,
  ServerException,
  ServiceNotActiveException,
  ServiceNotFoundException,
  UnsupportedFeatureException,
  UpdateInProgressException,
} from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyAwsError, isThrottlingError } from '../../controller/aws/classify.ts';
import { StalledError, TransientError, WaitingError } from '../../controller/aws/errors.ts';
import type { ErrorClass, ReconcileError } from '../../controller/aws/errors.ts';
import { simWithClients } from '../sim/helpers.ts';
import type { SimClients } from '../sim/helpers.ts';
import { CREDENTIALS, rejectionOf } from './helpers.ts';

const $metadata = {};
const classes: Record<ErrorClass, abstract new (...args: never[]) => ReconcileError> = { transient: TransientError, stalled: StalledError, waiting: WaitingError };

function expectClass(error: ReconcileError, errorClass: ErrorClass, reason: string): void {
  expect({ errorClass: error.errorClass, reason: error.reason }).toEqual({ errorClass, reason });
  expect(error).toBeInstanceOf(classes[errorClass]);
}

describe('classifyAwsError with the SDK exception classes', () => {
  const cases: [string, unknown, ErrorClass, string][] = [
    // ECS, modelled
    ['ClusterNotFoundException', new ClusterNotFoundException({ message: 'Cluster not found.', $metadata }), 'stalled', 'ClusterNotFound'],
    ['ServiceNotFoundException', new ServiceNotFoundException({ message: 'Service not found.', $metadata }), 'stalled', 'ServiceNotFound'],
    ['ServiceNotActiveException', new ServiceNotActiveException({ message: 'Service not active.', $metadata }), 'stalled', 'ServiceNotActive'],
    ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'not found', $metadata }), 'stalled', 'ResourceNotFound'],
    ['AccessDeniedException', new AccessDeniedException({ message: 'User is not authorized', $metadata }), 'stalled', 'AccessDenied'],
    ['InvalidParameterException', new InvalidParameterException({ message: 'bad', $metadata }), 'stalled', 'InvalidParameter'],
    ['ClientException', new ClientException({ message: 'Unable to describe task definition.', $metadata }), 'stalled', 'InvalidParameter'],
    ['PlatformUnknownException', new PlatformUnknownException({ message: 'no such platform', $metadata }), 'stalled', 'PlatformUnknown'],
    [
      'PlatformTaskDefinitionIncompatibilityException',
      new PlatformTaskDefinitionIncompatibilityException({ message: 'incompatible', $metadata }),
      'stalled',
      'PlatformTaskDefinitionIncompatibility',
    ],
    ['UnsupportedFeatureException', new UnsupportedFeatureException({ message: 'unsupported in this region', $metadata }), 'stalled', 'UnsupportedFeature'],
    ['LimitExceededException', new LimitExceededException({ message: 'quota', $metadata }), 'stalled', 'LimitExceeded'],
    ['ServerException', new ServerException({ message: 'Service encountered an internal error', $metadata }), 'transient', 'ServerError'],
    ['ConflictException', new ConflictException({ message: 'conflict', $metadata }), 'transient', 'Conflict'],
    ['UpdateInProgressException', new UpdateInProgressException({ message: 'in progress', $metadata }), 'waiting', 'UpdateInProgress'],
    // ECS, unmodelled: the SDK builds the service's base exception with the code as its name
    ['ECS ThrottlingException', new ECSServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }), 'transient', 'Throttled'],
    ['TooManyRequestsException', new ECSServiceException({ name: 'TooManyRequestsException', $fault: 'client', message: 'slow down', $metadata }), 'transient', 'Throttled'],
    ['RequestLimitExceeded', new ECSServiceException({ name: 'RequestLimitExceeded', $fault: 'client', message: 'Request limit exceeded.', $metadata }), 'transient', 'Throttled'],
    ['HTTP 429', new ECSServiceException({ name: 'Unknown', $fault: 'client', message: '', $metadata: { httpStatusCode: 429 } }), 'transient', 'Throttled'],
    ['HTTP 503', new ECSServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: '', $metadata: { httpStatusCode: 503 } }), 'transient', 'ServerError'],
    ['$fault server', new ECSServiceException({ name: 'SomethingBroke', $fault: 'server', message: 'oops', $metadata }), 'transient', 'ServerError'],
    ['UnauthorizedOperation', new ECSServiceException({ name: 'UnauthorizedOperation', $fault: 'client', message: 'no', $metadata }), 'stalled', 'AccessDenied'],
    ['UnrecognizedClientException', new ECSServiceException({ name: 'UnrecognizedClientException', $fault: 'client', message: 'The security token included in the request is invalid.', $metadata }), 'stalled', 'InvalidCredentials'],
    ['ExpiredTokenException', new ECSServiceException({ name: 'ExpiredTokenException', $fault: 'client', message: 'The security token included in the request is expired', $metadata }), 'transient', 'ExpiredCredentials'],
    ['an unknown 4xx', new ECSServiceException({ name: 'BrandNewException', $fault: 'client', message: 'new', $metadata: { httpStatusCode: 400 } }), 'stalled', 'BrandNew'],
    // Auto Scaling (AWS Query: codes without the Exception suffix)
    ['Auto Scaling Throttling', new AutoScalingServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }), 'transient', 'Throttled'],
    ['Auto Scaling ValidationError', new AutoScalingServiceException({ name: 'ValidationError', $fault: 'client', message: 'AutoScalingGroup name not found', $metadata }), 'stalled', 'InvalidParameter'],
    ['Auto Scaling AccessDenied', new AutoScalingServiceException({ name: 'AccessDenied', $fault: 'client', message: 'User is not authorized', $metadata }), 'stalled', 'AccessDenied'],
    ['ResourceContentionFault', new ResourceContentionFault({ message: 'pending update', $metadata }), 'transient', 'ResourceContention'],
    ['ScalingActivityInProgressFault', new ScalingActivityInProgressFault({ message: 'activity in progress', $metadata }), 'waiting', 'ScalingActivityInProgress'],
    ['LimitExceededFault', new LimitExceededFault({ message: 'quota', $metadata }), 'stalled', 'LimitExceeded'],
    // CloudWatch
    ['InvalidParameterValueException', new InvalidParameterValueException({ message: 'bad threshold', $metadata }), 'stalled', 'InvalidParameter'],
    ['InternalServiceFault', new InternalServiceFault({ message: 'internal', $metadata }), 'transient', 'ServerError'],
    ['ResourceNotFound', new ResourceNotFound({ message: 'no alarm', $metadata }), 'stalled', 'ResourceNotFound'],
    ['CloudWatch Throttling', new CloudWatchServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata }), 'transient', 'Throttled'],
    // Credentials, configuration, transport
    ['CredentialsProviderError', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', tryNextLink: false }), 'stalled', 'NoCredentials'],
    ['Region is missing', new Error('Region is missing'), 'stalled', 'NoRegion'],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', syscall: 'connect' }), 'transient', 'NetworkError'],
    // node-http-handler renames ECONNRESET and EPIPE to TimeoutError: the code says what happened.
    ['ECONNRESET as TimeoutError', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', name: 'TimeoutError' }), 'transient', 'NetworkError'],
    ['socket hang up', new Error('socket hang up'), 'transient', 'NetworkError'],
    ['wrapped ENOTFOUND', new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND ecs.example'), { code: 'ENOTFOUND' }) }), 'transient', 'NetworkError'],
    ['ETIMEDOUT', Object.assign(new Error('a request has exceeded the configured 100 ms requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT' }), 'transient', 'Timeout'],
    ['TimeoutError', Object.assign(new Error('did not establish a connection within 5000 ms'), { name: 'TimeoutError' }), 'transient', 'Timeout'],
    ['AbortError from a timeout', Object.assign(new Error('Request aborted'), { name: 'AbortError', cause: new DOMException('The operation was aborted due to timeout', 'TimeoutError') }), 'transient', 'Timeout'],
    ['AbortError', Object.assign(new Error('Request aborted'), { name: 'AbortError' }), 'transient', 'Aborted'],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')"), 'transient', 'Unknown'],
  ];

  it.each(cases)('%s', (_name, error, errorClass, reason) => {
    const classified = classifyAwsError(error, 'ecs:DescribeServices');
    expectClass(classified, errorClass, reason);
    expect(classified.operation).toBe('ecs:DescribeServices');
    expect(classified.cause).toBe(error);
    expect(classified.message).toMatch(/^ecs:DescribeServices failed: /);
  });

  it('says the operation and AWS message, with the error name when the message lacks it', () => {
    const error = classifyAwsError(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata }), 'ecs:DescribeServices');
    expect(error.message).toBe('ecs:DescribeServices failed: Cluster not found. (ClusterNotFoundException)');
    const throttled = classifyAwsError(new ECSServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { attempts: 5 } }), 'ecs:ListTaskDefinitions');
    expect(throttled.message).toBe('ecs:ListTaskDefinitions failed after 5 attempts: Rate exceeded (ThrottlingException)');
  });

  it('never puts credentials in the message', () => {
    const error = classifyAwsError(
      new ECSServiceException({
        name: 'SignatureDoesNotMatch',
        $fault: 'client',
        message: "Credential=AKIAIOSFODNN7EXAMPLE/20260101/ap-southeast-2/ecs/aws4_request; secretAccessKey='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'",
        $metadata,
      }),
      'ecs:DescribeClusters',
    );
    expect(error.reason).toBe('InvalidCredentials');
    expect(error.message).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(error.message).not.toContain('wJalrXUtnFEMI');
  });

  it('passes a ReconcileError through unchanged', () => {
    const original = new StalledError('NotOwned', 'not ours');
    expect(classifyAwsError(original, 'ecs:UpdateService')).toBe(original);
  });

  it('recognises throttling the way the SDK marks it', () => {
    const marked = Object.assign(new ECSServiceException({ name: 'Whatever', $fault: 'client', message: '', $metadata }), { $retryable: { throttling: true } });
    expect(isThrottlingError(marked)).toBe(true);
    expect(isThrottlingError(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata }))).toBe(false);
  });
});

describe('classifyAwsError with errors from the simulator', () => {
  let s: SimClients;
  beforeEach(async () => {
    s = await simWithClients({ maxAttempts: 1 });
  });
  afterEach(async () => {
    await s.close();
  });

  async function classified(promise: Promise<unknown>, operation: string): Promise<ReconcileError> {
    return classifyAwsError(await rejectionOf(promise), operation);
  }

  it('ECS: ClusterNotFound, ClientException, injected throttling, 5xx and AccessDenied', async () => {
    expectClass(await classified(s.ecs.send(new DescribeServicesCommand({ cluster: 'nope', services: ['api'] })), 'ecs:DescribeServices'), 'stalled', 'ClusterNotFound');
    expectClass(await classified(s.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'ghost:1' })), 'ecs:DescribeTaskDefinition'), 'stalled', 'InvalidParameter');

    s.sim.injectFault({ service: 'ecs', throttleRate: 1, count: 1 });
    const throttled = await classified(s.ecs.send(new ListClustersCommand({})), 'ecs:ListClusters');
    expectClass(throttled, 'transient', 'Throttled');
    expect(throttled.message).toBe('ecs:ListClusters failed: Rate exceeded (ThrottlingException)');

    s.sim.injectFault({ service: 'ecs', errorRate: 1, count: 1 });
    expectClass(await classified(s.ecs.send(new ListClustersCommand({})), 'ecs:ListClusters'), 'transient', 'ServerError');

    s.sim.injectFault({ service: 'ecs', error: { code: 'AccessDeniedException', message: 'User: arn:aws:sts::111122223333:assumed-role/berth is not authorized to perform: ecs:ListClusters' }, count: 1 });
    const denied = await classified(s.ecs.send(new ListClustersCommand({})), 'ecs:ListClusters');
    expectClass(denied, 'stalled', 'AccessDenied');
    expect(denied.message).toContain('is not authorized to perform: ecs:ListClusters');
  });

  it('Auto Scaling and CloudWatch (Query and JSON 1.0 error shapes)', async () => {
    expectClass(
      await classified(s.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'nope', DesiredCapacity: 1 })), 'autoscaling:SetDesiredCapacity'),
      'stalled',
      'InvalidParameter',
    );
    s.sim.injectFault({ service: 'autoscaling', throttleRate: 1, count: 1 });
    expectClass(await classified(s.autoscaling.send(new DescribeAutoScalingGroupsCommand({})), 'autoscaling:DescribeAutoScalingGroups'), 'transient', 'Throttled');
    s.sim.injectFault({ service: 'autoscaling', errorRate: 1, count: 1 });
    expectClass(await classified(s.autoscaling.send(new DescribeAutoScalingGroupsCommand({})), 'autoscaling:DescribeAutoScalingGroups'), 'transient', 'ServerError');

    expectClass(
      await classified(
        s.cloudwatch.send(new PutMetricAlarmCommand({ AlarmName: 'a', Namespace: 'N', MetricName: 'M', Statistic: 'Average', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 2 })),
        'cloudwatch:PutMetricAlarm',
      ),
      'stalled',
      'InvalidParameter',
    );
    s.sim.injectFault({ service: 'cloudwatch', throttleRate: 1, count: 1 });
    expectClass(await classified(s.cloudwatch.send(new DescribeAlarmsCommand({})), 'cloudwatch:DescribeAlarms'), 'transient', 'Throttled');
    s.sim.injectFault({ service: 'cloudwatch', errorRate: 1, count: 1 });
    expectClass(await classified(s.cloudwatch.send(new DescribeAlarmsCommand({})), 'cloudwatch:DescribeAlarms'), 'transient', 'ServerError');
  });

  it('a connection refused and a request timeout, from the real HTTP handler', async () => {
    const refused = new ECSClient({ endpoint: 'http://127.0.0.1:9', region: 'ap-southeast-2', credentials: CREDENTIALS, maxAttempts: 1 });
    expectClass(await classified(refused.send(new ListClustersCommand({})), 'ecs:ListClusters'), 'transient', 'NetworkError');
    refused.destroy();

    s.sim.injectFault({ service: 'ecs', latencyMs: 500, count: 1 });
    const slow = new ECSClient({ endpoint: s.endpoint, region: 'ap-southeast-2', credentials: CREDENTIALS, maxAttempts: 1, requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true } });
    expectClass(await classified(slow.send(new ListClustersCommand({})), 'ecs:ListClusters'), 'transient', 'Timeout');
    slow.destroy();
  });
});
