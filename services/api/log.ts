/**
 * The API's logs: one JSON object a line on stdout (`{"time","level","msg",…fields}`). Never pass a
 * secret, a token or an Authorization header as a field.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type Logger = (level: LogLevel, msg: string, fields?: Readonly<Record<string, unknown>>) => void;

const ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger writing JSON lines to `write` at `level` and above. */
export function jsonLogger(options: { readonly level?: LogLevel; readonly write?: (line: string) => void } = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  return (level, msg, fields = {}) => {
    if (ORDER[level] < min) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = () => undefined;
