/**
 * The API's errors are the shared HTTP ones: every failure reaches the client as
 * `{ error: { code, message } }` with `status` (controller/http/server.ts).
 */
export { HttpError as ApiError, errorText } from '../../controller/http/server.ts';
