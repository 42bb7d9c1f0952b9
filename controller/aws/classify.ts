/**
 * The one place AWS errors are typed. Whatever an SDK call throws (a modelled service exception,
 * an unmodelled one known only by its code, a credential-chain failure, a Node socket error) leaves
 * the AWS boundary as a `TransientError`, `StalledError` or `WaitingError` with a PascalCase reason.
 */
import { ReconcileError, StalledError, TransientError, WaitingError } from './errors.ts';

/** The fixed reasons this module gives; others are the AWS error name without its `Exception`/`Fault` suffix. */
export const AwsReason = {
  Throttled: 'Throttled',
  ServerError: 'ServerError',
  Timeout: 'Timeout',
  NetworkError: 'NetworkError',
  Aborted: 'Aborted',
  ExpiredCredentials: 'ExpiredCredentials',
  AccessDenied: 'AccessDenied',
  InvalidCredentials: 'InvalidCredentials',
  NoCredentials: 'NoCredentials',
  NoRegion: 'NoRegion',
  InvalidParameter: 'InvalidParameter',
  ClusterNotFound: 'ClusterNotFound',
  ServiceNotFound: 'ServiceNotFound',
  ServiceNotActive: 'ServiceNotActive',
  ResourceNotFound: 'ResourceNotFound',
  ClientError: 'ClientError',
  UnexpectedResponse: 'UnexpectedResponse',
  Unknown: 'Unknown',
} as const;

/**
 * Throttling error names, without `Exception`/`Fault`: the set the SDK's own retry classifier uses
 * (ECS `ThrottlingException`, Auto Scaling and CloudWatch `Throttling`, EC2 `RequestLimitExceeded` …).
 */
const THROTTLING = new Set([
  'Throttling',
  'Throttled',
  'RequestThrottled',
  'TooManyRequests',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2Throttled',
  'TransactionInProgress',
]);

/** 5xx by name, for when the status is not known (an error built without `$metadata`). */
const SERVER = new Set(['Server', 'InternalFailure', 'InternalError', 'InternalService', 'InternalServer', 'ServiceUnavailable']);

/** The request was refused for who made it: IAM policy, SCP, or an unsubscribed account. */
const ACCESS_DENIED = new Set(['AccessDenied', 'UnauthorizedOperation', 'AuthorizationError', 'NotAuthorized', 'OptInRequired', 'KmsAccessDenied']);

/** The credentials themselves are wrong (not missing, not expired). */
const INVALID_CREDENTIALS = new Set([
  'UnrecognizedClient',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidSignature',
  'AuthFailure',
  'MissingAuthenticationToken',
]);

/** Expired session credentials and clock skew: the SDK refreshes credentials and corrects skew, so a retry works. */
const EXPIRED = new Set(['ExpiredToken', 'RequestExpired']);

/** Invalid input: what the manifest asked for is not acceptable to AWS as it stands. */
const INVALID_PARAMETER = new Set([
  'InvalidParameter',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'Validation',
  'Client',
  'MissingParameter',
  'MissingRequiredParameter',
  'InvalidFormat',
  'InvalidInput',
  'Serialization',
]);

/** Stalled whatever the status says: the name is the reason (besides any `…NotFound` and `…NotActive`). */
const STALLED = new Set([
  'PlatformUnknown',
  'PlatformTaskDefinitionIncompatibility',
  'UnsupportedFeature',
  'LimitExceeded',
  'AttributeLimitExceeded',
  'AlreadyExists',
  'Blocked',
  'ServiceLinkedRoleFailure',
  'IdempotentParameterMismatch',
  'ClusterContainsServices',
  'ClusterContainsTasks',
  'ClusterContainsContainerInstances',
  'ClusterContainsCapacityProvider',
]);

/** Something else is under way on the resource: wait, then try again. */
const WAITING = new Set(['UpdateInProgress', 'ScalingActivityInProgress', 'InstanceRefreshInProgress', 'ResourceInUse', 'IdempotentCallInProgress']);

/** Lost a race with a concurrent change: retrying with backoff resolves it. */
const CONTENTION = new Set(['ResourceContention', 'Conflict', 'ConcurrentModification']);

/** Node socket errors (on the error or in its `cause` chain) that mean the network, not the request. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/** What an error says about itself, read defensively: SDK errors, Node errors and plain objects all reach here. */
interface ErrorFacts {
  /** `ClusterNotFoundException`, `Throttling`, `CredentialsProviderError`, `Error` … */
  readonly name: string;
  /** `name` without a trailing `Exception`, `Fault` or `Error`. */
  readonly base: string;
  readonly message: string;
  readonly status: number | undefined;
  readonly fault: string | undefined;
  /** The SDK marked it a throttling error (`$retryable.throttling`). */
  readonly throttlingHint: boolean;
  /** Attempts the SDK made, retries included. */
  readonly attempts: number | undefined;
  /** Node error codes on the error and its causes. */
  readonly codes: readonly string[];
  /** Names of the errors in its `cause` chain. */
  readonly causeNames: readonly string[];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function facts(err: unknown): ErrorFacts {
  const e = record(err);
  const metadata = record(e?.$metadata);
  const retryable = record(e?.$retryable);
  // An unmodelled AWS error carries its code as `name` (and sometimes `Code` or `code`).
  const awsCode = str(e?.Code) ?? (typeof e?.code === 'string' && !/^E[A-Z_]+$|^UND_ERR/.test(e.code) ? e.code : undefined);
  const rawName = str(e?.name);
  const name = (rawName === undefined || rawName === 'Error') && awsCode !== undefined ? awsCode : (rawName ?? (err instanceof Error ? 'Error' : typeof err));
  const codes: string[] = [];
  const causeNames: string[] = [];
  let cursor: Record<string, unknown> | undefined = e;
  for (let depth = 0; cursor && depth < 5; depth++) {
    const code = str(cursor.code) ?? str(cursor.errno);
    if (code !== undefined) codes.push(code);
    cursor = record(cursor.cause);
    const causeName = str(cursor?.name);
    if (causeName !== undefined) causeNames.push(causeName);
  }
  const status = typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
  return {
    name,
    base: name.replace(/(Exception|Fault|Error)$/, '') || name,
    message: str(e?.message) ?? str(e?.Message) ?? (typeof err === 'string' ? err : ''),
    status,
    fault: str(e?.$fault),
    throttlingHint: retryable?.throttling === true,
    attempts: typeof metadata?.attempts === 'number' ? metadata.attempts : undefined,
    codes,
    causeNames,
  };
}

/** Whether `err` is AWS throttling: a throttling error name, HTTP 429, or the SDK's own throttling mark. */
export function isThrottlingError(err: unknown): boolean {
  const f = facts(err);
  return f.status === 429 || f.throttlingHint || THROTTLING.has(f.base) || THROTTLING.has(f.name);
}

/** Access keys and secrets never reach a status message (AWS echoes the key id in signature errors). */
function redact(text: string): string {
  return text
    .replace(/\b(AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b/g, '[redacted]')
    .replace(/(aws_secret_access_key|secretAccessKey|aws_session_token|sessionToken|X-Amz-Security-Token|X-Amz-Credential)(["'\s:=]+)[^\s"'&,]+/gi, '$1$2[redacted]');
}

function describe(f: ErrorFacts, operation: string): string {
  const after = f.attempts !== undefined && f.attempts > 1 ? ` after ${f.attempts} attempts` : '';
  const message = f.message === '' || f.message === f.name ? f.name : f.message.includes(f.name) ? f.message : `${f.message} (${f.name})`;
  return redact(`${operation} failed${after}: ${message}`);
}

/** A PascalCase reason from an AWS error name, or the fallback when the name is not one. */
function reasonFrom(f: ErrorFacts, fallback: string): string {
  return /^[A-Z][A-Za-z0-9]*$/.test(f.base) ? f.base : fallback;
}

/**
 * Types an error thrown by an AWS SDK call. `operation` names the call (`ecs:DescribeServices`)
 * and starts the message; AWS's own message follows. A `ReconcileError` passes through unchanged.
 *
 * Transient (backoff and retry): throttling, 5xx, timeouts, connection errors, lost races,
 * expired session credentials. Stalled (no retry until the input or the account changes): access
 * denied, invalid credentials, no credentials, invalid parameters, resources that must exist and
 * do not, quotas, unsupported features, any other 4xx. Waiting (requeue later): an update or
 * scaling activity already in progress on the resource.
 */
export function classifyAwsError(err: unknown, operation: string): ReconcileError {
  if (err instanceof ReconcileError) return err;
  const f = facts(err);
  const message = describe(f, operation);
  const options = { operation, cause: err };

  // Credentials and configuration, before anything reads a status: there was no HTTP response.
  if (f.name === 'CredentialsProviderError' || f.name === 'ProviderError' || f.name === 'TokenProviderError') {
    return new StalledError(AwsReason.NoCredentials, `${message}. Berth uses the default credential chain (environment, shared config, SSO, the ECS task role, EC2 instance metadata); give it credentials through one of them.`, options);
  }
  if (/^Region is missing/.test(f.message)) return new StalledError(AwsReason.NoRegion, message, options);

  // Transient: throttling, then the network, then 5xx.
  if (isThrottlingError(err)) return new TransientError(AwsReason.Throttled, message, options);
  if (f.codes.some((c) => TIMEOUT_CODES.has(c))) return new TransientError(AwsReason.Timeout, message, options);
  if (f.codes.some((c) => NETWORK_CODES.has(c)) || /socket hang up/i.test(f.message)) return new TransientError(AwsReason.NetworkError, message, options);
  if (TIMEOUT_NAMES.has(f.name)) return new TransientError(AwsReason.Timeout, message, options);
  if (f.name === 'AbortError') {
    // An abort whose reason is a timeout (AbortSignal.timeout) is a timeout; any other abort is a cancellation.
    const timedOut = f.causeNames.includes('TimeoutError') || /time[d ]?out/i.test(f.message);
    return new TransientError(timedOut ? AwsReason.Timeout : AwsReason.Aborted, message, options);
  }
  if (EXPIRED.has(f.base)) return new TransientError(AwsReason.ExpiredCredentials, message, options);
  if (CONTENTION.has(f.base)) return new TransientError(f.base, message, options);
  if (WAITING.has(f.base)) return new WaitingError(f.base, message, options);
  if (SERVER.has(f.base) || f.fault === 'server' || (f.status !== undefined && f.status >= 500)) {
    return new TransientError(AwsReason.ServerError, message, options);
  }

  // Stalled: the request will fail the same way until something changes.
  if (ACCESS_DENIED.has(f.base)) return new StalledError(AwsReason.AccessDenied, message, options);
  if (INVALID_CREDENTIALS.has(f.base)) return new StalledError(AwsReason.InvalidCredentials, message, options);
  if (INVALID_PARAMETER.has(f.base)) return new StalledError(AwsReason.InvalidParameter, message, options);
  // ClusterNotFound, ServiceNotFound, ResourceNotFound, ServiceNotActive, PlatformUnknown, UnsupportedFeature,
  // LimitExceeded … name themselves well: the reason is the name.
  if (STALLED.has(f.base) || /(NotFound|NotActive)$/.test(f.base)) return new StalledError(reasonFrom(f, AwsReason.ClientError), message, options);
  if (f.fault === 'client' || (f.status !== undefined && f.status >= 400)) {
    return new StalledError(reasonFrom(f, AwsReason.ClientError), message, options);
  }

  // Not recognisably AWS (a bug, an unexpected shape): back off and retry, and say what it was.
  return new TransientError(AwsReason.Unknown, message, options);
}
