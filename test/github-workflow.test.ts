/**
 * docs/github-actions/berth-plan.yml: its shape (trigger, permissions, pinned actions, the sticky
 * comment), then its own `run:` steps executed with bash as the runner would, against the
 * in-process simulator, and its github-script step against a fake GitHub API.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateClusterCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MARKER, annotations, clipPlan, composeComment } from '../scripts/plan-comment.ts';
import { simWithClients } from './sim/helpers.ts';
import type { SimClients } from './sim/helpers.ts';

const root = join(import.meta.dirname, '..');
const workflowPath = join(root, 'docs', 'github-actions', 'berth-plan.yml');

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly with?: Readonly<Record<string, unknown>>;
}
interface Workflow {
  readonly on: { readonly pull_request: { readonly paths: readonly string[] } };
  readonly permissions: Readonly<Record<string, string>>;
  readonly concurrency: { readonly group: string; readonly 'cancel-in-progress'?: boolean };
  readonly env?: Readonly<Record<string, string>>;
  readonly defaults?: { readonly run?: { readonly shell?: string } };
  readonly jobs: Readonly<Record<string, { readonly steps: readonly Step[]; readonly env?: Readonly<Record<string, string>> }>>;
}

const workflow = parse(readFileSync(workflowPath, 'utf8')) as Workflow;
const jobs = Object.values(workflow.jobs);
const job = jobs[0]!;
const steps = job.steps;

function step(id: string): Step {
  const found = steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step with id ${id} in ${workflowPath}`);
  return found;
}
const stepUsing = (action: string): Step | undefined => steps.find((s) => s.uses?.startsWith(`${action}@`));
const indexOf = (s: Step | undefined): number => (s === undefined ? -1 : steps.indexOf(s));

// ---------------------------------------------------------------------------------------------
// A tiny runner for the workflow's `run:` steps: bash as `shell: bash` runs it on GitHub, the step's
// env with `${{ steps.<id>.outputs.<name> }}` resolved from earlier steps' $GITHUB_OUTPUT, and
// `npx berth` replaced by this checkout's bin/berth.js.
// ---------------------------------------------------------------------------------------------

interface StepRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Readonly<Record<string, string>>;
}

class Runner {
  readonly outputs = new Map<string, Record<string, string>>();
  readonly dir: string;
  private readonly env: Readonly<Record<string, string>>;
  /** Replaces values of the workflow's top-level `env:` (as a repository with another layout would). */
  private readonly workflowEnv: Readonly<Record<string, string>>;
  private count = 0;

  constructor(dir: string, env: Readonly<Record<string, string>>, workflowEnv: Readonly<Record<string, string>> = {}) {
    this.dir = dir;
    this.env = env;
    this.workflowEnv = workflowEnv;
  }

  /** Where the steps write their files: the runner's temp directory. */
  get runnerTemp(): string {
    return join(this.dir, 'runner-temp');
  }

  private resolve(value: string): string {
    const expr = /^\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}$/.exec(value);
    if (expr) return this.outputs.get(expr[1]!)?.[expr[2]!] ?? ''; // a skipped step's outputs are empty
    if (value.includes('${{')) throw new Error(`the test runner cannot evaluate ${value}`);
    return value;
  }

  run(id: string): Promise<StepRun> {
    const s = step(id);
    if (s.run === undefined) throw new Error(`step ${id} has no run:`);
    this.count += 1;
    const script = join(this.dir, `step-${this.count}-${id}.sh`);
    const outputFile = join(this.dir, `step-${this.count}-${id}.output`);
    writeFileSync(script, s.run.replaceAll('npx berth ', `node bin/berth.js `));
    writeFileSync(outputFile, '');
    const stepEnv = Object.fromEntries(Object.entries({ ...workflow.env, ...this.workflowEnv, ...job.env, ...s.env }).map(([k, v]) => [k, this.resolve(String(v))]));
    return new Promise((done, fail) => {
      // Asynchronous on purpose: the simulator serves from this process.
      const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
        cwd: root,
        env: { ...this.env, ...stepEnv, RUNNER_TEMP: this.runnerTemp, GITHUB_OUTPUT: outputFile },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', fail);
      child.on('exit', (status) => {
        const outputs = Object.fromEntries(
          readFileSync(outputFile, 'utf8')
            .split('\n')
            .filter((line) => line.includes('='))
            .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
        );
        this.outputs.set(id, outputs);
        done({ status, stdout, stderr, outputs });
      });
    });
  }

  file(name: string): string {
    return readFileSync(join(this.runnerTemp, name), 'utf8');
  }
}

const HEAD_SHA = '0123456789abcdef0123456789abcdef01234567';

/** A clean environment: no GitHub, runner or AWS settings of whoever runs the tests. */
function runner(extra: Readonly<Record<string, string>>, workflowEnv: Readonly<Record<string, string>> = {}): Runner {
  const dir = mkdtempSync(join(tmpdir(), 'berth-workflow-'));
  mkdirSync(join(dir, 'runner-temp'));
  const event = join(dir, 'event.json');
  writeFileSync(event, JSON.stringify({ pull_request: { number: 7, head: { sha: HEAD_SHA } } }));
  const inherited = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^(GITHUB_|RUNNER_|AWS_|BERTH_)/.test(e[0])));
  return new Runner(dir, {
    ...inherited,
    GITHUB_ACTIONS: 'true',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/deploy',
    GITHUB_RUN_ID: '4242',
    GITHUB_SHA: 'ffffffffffffffffffffffffffffffffffffffff',
    GITHUB_EVENT_PATH: event,
    ...extra,
  }, workflowEnv);
}

const simEnv = (s: SimClients): Record<string, string> => ({
  AWS_ENDPOINT_URL: s.endpoint,
  AWS_ACCESS_KEY_ID: 'sim',
  AWS_SECRET_ACCESS_KEY: 'sim',
  AWS_REGION: 'ap-southeast-2',
});

// ---------------------------------------------------------------------------------------------
// The github-script step, run as actions/github-script runs it: an async function of the script.
// ---------------------------------------------------------------------------------------------

interface FakeComment {
  readonly id: number;
  readonly body: string;
  readonly user: { readonly login: string; readonly type: string };
  readonly html_url: string;
}
type Call = { readonly op: 'list' | 'create' | 'update'; readonly params: Readonly<Record<string, unknown>> };

async function asyncNoop(): Promise<void> {
  await Promise.resolve();
}

async function postComment(runnerTemp: string, existing: readonly FakeComment[]): Promise<Call[]> {
  const script = stepUsing('actions/github-script')?.with?.script;
  if (typeof script !== 'string') throw new Error('no github-script step with a script');
  const calls: Call[] = [];
  const listComments = (): never => {
    throw new Error('listComments must go through github.paginate (a pull request can have more than 100 comments)');
  };
  const github = {
    paginate: (method: unknown, params: Record<string, unknown>) => {
      expect(method).toBe(listComments);
      calls.push({ op: 'list', params });
      return Promise.resolve(existing);
    },
    rest: {
      issues: {
        listComments,
        createComment: (params: Record<string, unknown>) => {
          calls.push({ op: 'create', params });
          return Promise.resolve({ data: { id: 99, html_url: 'https://github.com/acme/deploy/pull/7#issuecomment-99' } });
        },
        updateComment: (params: Record<string, unknown>) => {
          calls.push({ op: 'update', params });
          return Promise.resolve({ data: { id: params.comment_id } });
        },
      },
    },
  };
  const context = { repo: { owner: 'acme', repo: 'deploy' }, issue: { owner: 'acme', repo: 'deploy', number: 7 } };
  const core = { info: (): void => undefined, setFailed: (message: string): never => { throw new Error(message); } };
  // The arguments actions/github-script passes (a script that redeclares one is a SyntaxError there
  // too), plus `process` so the script sees this test's RUNNER_TEMP.
  const args: Record<string, unknown> = {
    require: createRequire(import.meta.url),
    __original_require__: createRequire(import.meta.url),
    github,
    context,
    core,
    exec: {},
    glob: {},
    io: {},
    getOctokit: () => github,
    process: { env: { RUNNER_TEMP: runnerTemp } },
  };
  const AsyncFunction = asyncNoop.constructor as new (...params: string[]) => (...values: unknown[]) => Promise<unknown>;
  await new AsyncFunction(...Object.keys(args), script)(...Object.values(args));
  return calls;
}

// ---------------------------------------------------------------------------------------------

describe('docs/github-actions/berth-plan.yml: shape', () => {
  it('runs on pull requests that touch manifests/, with minimal permissions and one run per pull request', () => {
    expect(workflow.on.pull_request.paths).toContain('manifests/**');
    expect(workflow.env?.BERTH_MANIFESTS).toBe('manifests');
    expect(workflow.permissions).toEqual({ contents: 'read', 'pull-requests': 'write', 'id-token': 'write' });
    expect(workflow.concurrency.group).toMatch(/\$\{\{\s*github\.event\.pull_request\.number\s*\}\}/);
    expect(workflow.concurrency['cancel-in-progress']).toBe(true);
    // The runner's `shell: bash` is bash -eo pipefail; without it a pipeline's failure could pass.
    expect(workflow.defaults?.run?.shell).toBe('bash');
    expect(jobs).toHaveLength(1);
  });

  it('pins every action by its major version tag, and checks out, sets up Node 22 with the npm cache and installs', () => {
    const uses = steps.flatMap((s) => (s.uses === undefined ? [] : [s.uses]));
    expect(uses.length).toBeGreaterThanOrEqual(4);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
    expect(stepUsing('actions/checkout')?.with?.['persist-credentials']).toBe(false);
    const node = stepUsing('actions/setup-node');
    expect(String(node?.with?.['node-version'])).toBe('22');
    expect(node?.with?.cache).toBe('npm');
    expect(step('deps').run?.trim()).toBe('npm ci --ignore-scripts');
    expect(indexOf(stepUsing('actions/checkout'))).toBeLessThan(indexOf(node));
    expect(indexOf(node)).toBeLessThan(indexOf(step('deps')));
  });

  it('validates, then plans as Markdown with AWS credentials from OIDC (a read-only role)', () => {
    expect(step('validate').run).toMatch(/npx berth validate "\$BERTH_MANIFESTS" --format json/);
    expect(step('plan').run).toMatch(/npx berth plan "\$BERTH_MANIFESTS" --format markdown --detailed-exitcode/);
    const aws = stepUsing('aws-actions/configure-aws-credentials');
    expect(aws?.with?.['role-to-assume']).toMatch(/^\$\{\{\s*(vars|secrets)\.BERTH_PLAN_ROLE_ARN\s*\}\}$/);
    expect(aws?.with).not.toHaveProperty('aws-access-key-id');
    expect(indexOf(step('deps'))).toBeLessThan(indexOf(step('validate')));
    expect(indexOf(step('validate'))).toBeLessThan(indexOf(aws));
    expect(indexOf(aws)).toBeLessThan(indexOf(step('plan')));
    // The plan step always succeeds, so the comment is posted before the check fails the job.
    expect(step('plan').run).toContain('|| status=$?');
    expect(step('plan').run).toContain('echo "exitcode=$status" >> "$GITHUB_OUTPUT"');
  });

  it('keeps one sticky comment: composed even after a failed step, found again by its hidden marker', () => {
    expect(MARKER).toBe('<!-- berth-plan -->');
    expect(step('comment').if).toMatch(/!cancelled\(\)/);
    const post = stepUsing('actions/github-script');
    expect(post?.if).toMatch(/!cancelled\(\)/);
    const script = String(post?.with?.script);
    expect(script).toContain(`'${MARKER}'`);
    expect(script).toContain('github.paginate(github.rest.issues.listComments');
    expect(script).toContain('github.rest.issues.updateComment');
    expect(script).toContain('github.rest.issues.createComment');
    const check = step('check');
    expect(steps.at(-1)).toBe(check);
    expect(indexOf(post)).toBeLessThan(indexOf(check));
    expect(check.if).toMatch(/!cancelled\(\)/);
    expect(check.env?.PLAN_EXIT_CODE).toMatch(/steps\.plan\.outputs\.exitcode/);
  });

  it('never expands ${{ }} inside a run: script (values reach scripts through env)', () => {
    for (const s of steps) if (s.run !== undefined) expect(s.run, s.name).not.toContain('${{');
  });
});

describe('docs/github-actions/berth-plan.yml: its steps against the simulator', () => {
  let s: SimClients;
  beforeAll(async () => {
    // The default seed: the deployment's g5 group filot-ocr-gpu-asg, which manifests/ adopts.
    s = await simWithClients();
  });
  afterAll(async () => s.close());

  it('validates, plans, composes the comment with the marker and posts it once, updating it after', async () => {
    const r = runner(simEnv(s));
    try {
      const validate = await r.run('validate');
      expect(validate.stderr).toBe('');
      expect(validate.status).toBe(0);
      expect(validate.outputs).toEqual({ exitcode: '0' });
      expect(validate.stdout).toMatch(/^✓ \d+ files, \d+ documents valid/m);
      expect(validate.stdout).not.toContain('::error');

      const plan = await r.run('plan');
      expect(plan.status).toBe(0);
      expect(plan.outputs).toEqual({ exitcode: '2' }); // changes
      const markdown = r.file('plan.md');
      expect(plan.stdout).toBe(markdown); // the plan is in the job log too
      expect(r.file('plan.err')).toBe('');
      expect(markdown.split('\n')[0]).toBe('### Berth plan');
      expect(markdown).toContain('\n**13 to create, 1 to update, 0 unchanged.**\n');
      expect(markdown).toContain('| `Service/filot-backend-service` | **create** | Missing |');
      expect(markdown).toContain('| `AutoScalingGroup/filot-ocr-gpu-asg` | **update** | Healthy |');

      const compose = await r.run('comment');
      expect(compose.stderr).toBe('');
      expect(compose.status).toBe(0);
      const comment = r.file('comment.md');
      expect(comment.startsWith(`${MARKER}\n### Berth plan\n`)).toBe(true);
      expect(comment).toContain(markdown.trimEnd());
      expect(comment.trimEnd().split('\n').at(-1)).toBe('<sub>at `0123456789ab` · [workflow run](https://github.com/acme/deploy/actions/runs/4242) · `berth plan` exit 2</sub>');
      mkdirSync(join(root, 'test-artifacts'), { recursive: true });
      writeFileSync(join(root, 'test-artifacts', 'berth-plan-comment.md'), comment);
      // The example in docs/github-actions/README.md is this comment, abridged: every line of it is here.
      const example = /^````markdown\n([\s\S]*?)^````$/m.exec(readFileSync(join(root, 'docs/github-actions/README.md'), 'utf8'))?.[1] ?? '';
      expect(example.startsWith(`${MARKER}\n### Berth plan\n`)).toBe(true);
      const lines = new Set(comment.split('\n'));
      for (const line of example.split('\n')) expect(lines.has(line), line).toBe(true);

      const check = await r.run('check');
      expect(check.status).toBe(0);

      // First run: no comment of Berth's yet (a person quoting the marker does not count) → create.
      const person: FakeComment = { id: 1, body: `${MARKER}\nlooks good`, user: { login: 'alice', type: 'User' }, html_url: 'https://github.com/acme/deploy/pull/7#issuecomment-1' };
      const first = await postComment(r.runnerTemp, [person]);
      expect(first.map((c) => c.op)).toEqual(['list', 'create']);
      expect(first[0]!.params).toMatchObject({ owner: 'acme', repo: 'deploy', issue_number: 7 });
      expect(first[1]!.params).toEqual({ owner: 'acme', repo: 'deploy', issue_number: 7, body: comment });
      // Next runs: the bot's marked comment → update it in place.
      const bot: FakeComment = { id: 55, body: `${MARKER}\n### Berth plan\n\nold`, user: { login: 'github-actions[bot]', type: 'Bot' }, html_url: 'https://github.com/acme/deploy/pull/7#issuecomment-55' };
      const other: FakeComment = { id: 56, body: 'Deploy preview ready', user: { login: 'preview[bot]', type: 'Bot' }, html_url: 'https://github.com/acme/deploy/pull/7#issuecomment-56' };
      const again = await postComment(r.runnerTemp, [person, other, bot]);
      expect(again.map((c) => c.op)).toEqual(['list', 'update']);
      expect(again[1]!.params).toEqual({ owner: 'acme', repo: 'deploy', comment_id: 55, body: comment });
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('fails the validate step (exit 1) on invalid manifests, annotates each problem and says so in the comment', async () => {
    const manifests = mkdtempSync(join(tmpdir(), 'berth-invalid-'));
    copyFileSync(join(root, 'test/fixtures/validate/invalid/network.yaml'), join(manifests, 'network.yaml'));
    const r = runner(simEnv(s), { BERTH_MANIFESTS: manifests });
    try {
      const validate = await r.run('validate');
      expect(validate.status).toBe(1);
      expect(validate.outputs).toEqual({ exitcode: '1' });
      const file = join(manifests, 'network.yaml').replace(/:/g, '%3A').replace(/,/g, '%2C');
      expect(validate.stdout).toContain(`::error file=${file},line=14,col=57,title=[network/awsvpc-host-port] Service awsvpc-ec2 › spec.taskDefinition.containerDefinitions[0].portMappings[0].hostPort::in awsvpc mode the host port must equal the container port (8080)%0Aexpected: hostPort absent or 8080%0Afound:    80%0Afix:`);
      expect(validate.stdout.match(/^::error /gm)).toHaveLength(3);
      expect(validate.stdout.trimEnd().split('\n').at(-1)).toBe('✗ 3 errors, 0 warnings in 1 file, 2 documents');

      // The plan and credentials steps are skipped after a failure; the comment step still runs.
      const compose = await r.run('comment');
      expect(compose.status).toBe(0);
      const comment = r.file('comment.md');
      expect(comment.startsWith(`${MARKER}\n### Berth plan\n\n**✗ The manifests are invalid: 3 errors, 0 warnings. Nothing was planned.**`)).toBe(true);
      expect(comment).toContain(`${join(manifests, 'network.yaml')}:14:57 error [network/awsvpc-host-port] Service awsvpc-ec2`);
      expect(comment.trimEnd().split('\n').at(-1)).toBe('<sub>at `0123456789ab` · [workflow run](https://github.com/acme/deploy/actions/runs/4242)</sub>');
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
      rmSync(manifests, { recursive: true, force: true });
    }
  }, 60_000);

  it('posts a refused plan, then fails the job (plan exit 1)', async () => {
    const own = await simWithClients();
    try {
      // A cluster Berth did not create: the plan refuses it (NotOwned).
      await own.ecs.send(new CreateClusterCommand({ clusterName: 'filot-ocr-gpu-cluster' }));
      const r = runner(simEnv(own));
      try {
        const plan = await r.run('plan');
        expect(plan.status).toBe(0); // the step records the code; the last step fails the job
        expect(plan.outputs).toEqual({ exitcode: '1' });
        expect(r.file('plan.md')).toContain('| `Cluster/filot-ocr-gpu-cluster` | **refused** | Healthy | NotOwned |');
        r.outputs.set('validate', { exitcode: '0' });
        expect((await r.run('comment')).status).toBe(0);
        const comment = r.file('comment.md');
        expect(comment.startsWith(`${MARKER}\n### Berth plan\n`)).toBe(true);
        expect(comment).toContain('**✗ Berth refuses part of this plan**');
        const check = await r.run('check');
        expect(check.status).toBe(1);
        expect(check.stdout).toContain('::error title=berth plan::berth plan exited 1');
      } finally {
        rmSync(r.dir, { recursive: true, force: true });
      }
    } finally {
      await own.close();
    }
  }, 60_000);
});

describe('scripts/plan-comment.ts', () => {
  it('fails the check on a usage error that exits 2 without a plan, and says so', () => {
    const comment = composeComment({ validateExitCode: 0, planExitCode: 2, planMarkdown: '', planStderr: 'berth: no such file or directory: manifests\n' });
    expect(comment).toContain('**✗ `berth plan` failed (exit 2); nothing was planned.**');
    expect(comment).toContain('```text\nberth: no such file or directory: manifests\n```');
  });

  it('says the plan did not run when credentials failed, and lists validation warnings under a plan', () => {
    expect(composeComment({ validateExitCode: 0 })).toContain('**✗ The plan did not run**');
    const warning = { severity: 'warning' as const, rule: 'images/untagged', file: 'manifests/a.yaml', line: 3, column: 5, documentIndex: 1, path: 'spec.image', message: 'no tag', fix: 'add a tag' };
    const comment = composeComment({
      validateExitCode: 0,
      validateReport: { valid: true, files: 1, documents: 1, errors: 0, warnings: 1, diagnostics: [warning] },
      planExitCode: 0,
      planMarkdown: '### Berth plan\n\n**0 to create, 0 to update, 1 unchanged.**\n',
    });
    expect(comment).toContain('<details><summary>1 validation warning</summary>');
    expect(comment).toContain('manifests/a.yaml:3:5 warning [images/untagged]');
  });

  it('keeps a long plan under the comment limit, cut between resources so no block is left open', () => {
    const details = Array.from({ length: 400 }, (_, i) => `<details><summary><code>Service/s${i}</code>: create (1 change)</summary>\n\n\`\`\`diff\n+ image: "${'x'.repeat(200)}"\n\`\`\`\n\n</details>`);
    const markdown = `### Berth plan\n\n**400 to create, 0 to update, 0 unchanged.**\n\n${details.join('\n\n')}\n`;
    const clipped = clipPlan(markdown, 20_000);
    expect(clipped.length).toBeLessThanOrEqual(20_000);
    expect(clipped.match(/<details>/g)?.length).toBe(clipped.match(/<\/details>/g)?.length);
    expect((clipped.match(/```/g)?.length ?? 0) % 2).toBe(0);
    expect(clipped).toMatch(/more characters are in the log of the workflow's "Plan" step/);
    expect(composeComment({ validateExitCode: 0, planExitCode: 2, planMarkdown: markdown.repeat(3) }).length).toBeLessThan(65_536);
  });

  it('escapes annotation properties and messages as workflow commands require', () => {
    const [line] = annotations({
      valid: false,
      files: 1,
      documents: 1,
      errors: 1,
      warnings: 0,
      diagnostics: [{ severity: 'error', rule: 'x/y', file: 'manifests/a,b.yaml', line: 1, column: 2, documentIndex: 1, path: 'spec', message: '50% of: it\nbroke', fix: 'fix it' }],
    });
    expect(line).toBe('::error file=manifests/a%2Cb.yaml,line=1,col=2,title=[x/y] spec::50%25 of: it%0Abroke%0Afix:      fix it');
  });
});
