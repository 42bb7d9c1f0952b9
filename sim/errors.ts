/** An error a simulated AWS operation returns, with the code, HTTP status and fault AWS uses. */
export class AwsError extends Error {
  override readonly name = 'AwsError';

  /** The AWS error code, e.g. `ClusterNotFoundException` (JSON) or `ValidationError` (Query). */
  readonly code: string;
  /** The HTTP status. @defaultValue 400 */
  readonly status: number;
  /** `Sender` for client errors, `Receiver` for server errors. */
  readonly fault: 'Sender' | 'Receiver';

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
    this.fault = status >= 500 ? 'Receiver' : 'Sender';
  }
}
