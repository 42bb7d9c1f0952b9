/**
 * Runs the `git` binary: arguments as an array (never a shell string), a timeout, no prompts, and
 * failures turned into a `SourceError` whose message is git's stderr summarized, without credentials.
 */
import { execFile } from 'node:child_process';
import type { ExecFileException } from 'node:child_process';
import { SourceError } from './source.ts';

/** Output larger than this is an error (a manifest tree of hundreds of megabytes is not one). */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/** Longest error summary kept from git's stderr. */
const MAX_SUMMARY_LENGTH = 400;

/** Variables that would point git at another repository than the one named on the command line. */
const REPOSITORY_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_NAMESPACE'];

export interface GitRunner {
  /** The binary. */
  readonly git: string;
  /** Each command is killed after this long. */
  readonly timeoutMs: number;
  /** Removes credentials from anything that goes into an error message. */
  readonly redact: (text: string) => string;
}

export interface GitCall {
  /** Arguments after the binary, e.g. `['--git-dir=/x', 'fetch', …]`. */
  readonly args: readonly string[];
  /** Written to the command's stdin, which is then closed. */
  readonly input?: string;
  /** Names the command in an error message (`ls-remote`, `fetch` …). */
  readonly label: string;
}

/** Runs one git command and resolves with its stdout; rejects with a `SourceError`. */
export function runGit(runner: GitRunner, call: GitCall): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      runner.git,
      call.args,
      { encoding: 'buffer', maxBuffer: MAX_OUTPUT_BYTES, timeout: runner.timeoutMs, env: gitEnv(), windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        reject(new SourceError(runner.redact(`git ${call.label} failed: ${failureSummary(runner, error, stderr)}`)));
      },
    );
    // git may exit before reading all of stdin (a failure); that is reported through the exit status.
    child.stdin?.on('error', () => {});
    child.stdin?.end(call.input ?? '');
  });
}

function failureSummary(runner: GitRunner, error: ExecFileException, stderr: Buffer): string {
  if (error.code === 'ENOENT') return `git binary ${JSON.stringify(runner.git)} not found`;
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return `output larger than ${MAX_OUTPUT_BYTES} bytes`;
  if (error.killed && error.signal) return `timed out after ${runner.timeoutMs} ms`;
  return summarizeStderr(stderr.toString('utf8')) || (typeof error.code === 'number' ? `exit code ${error.code}` : String(error.code ?? 'unknown error'));
}

/** git's stderr in one line: the `fatal:`/`error:` lines when there are any, hints dropped. */
export function summarizeStderr(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('hint:'));
  const errors = lines.filter((line) => /^(fatal|error):/i.test(line));
  const summary = (errors.length > 0 ? errors : lines).join('; ');
  return summary.length > MAX_SUMMARY_LENGTH ? `${summary.slice(0, MAX_SUMMARY_LENGTH - 1)}…` : summary;
}

function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  for (const name of REPOSITORY_ENV) delete env[name];
  return env;
}
