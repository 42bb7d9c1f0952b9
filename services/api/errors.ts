/** The API's error answer: every failure reaches the client as `{ error: { code, message } }` with `status`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  /** PascalCase, e.g. `UnsupportedMediaType`. */
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** An error's name and message, for a log line (never a request body or a header). */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
