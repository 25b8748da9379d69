/**
 * Runs the bundled action (`dist/index.js`) in a child process the way the GitHub runner does:
 * inputs as `INPUT_<NAME>` variables (defaults from action.yml filled in), `GITHUB_OUTPUT` and
 * `GITHUB_STEP_SUMMARY` files, `RUNNER_TEMP`; then reads back everything it wrote.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO, runNode, tempDir } from '../support/cli.js';

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The job summary file's content. */
  summary: string;
  /** Outputs parsed from GITHUB_OUTPUT. */
  outputs: Record<string, string>;
  /** GITHUB_OUTPUT as written. */
  outputFile: string;
  /** The JSON report's text, when the `report` output names a file. */
  reportText: string;
  ms: number;
  /**
   * The runner's directory of this run: RUNNER_TEMP, HOME and TMPDIR of the action live in it,
   * next to the output and summary files, so whatever it wrote outside the workspace is here.
   */
  runnerDir: string;
  workspace: string;
}

export interface ActionRunOptions {
  /** Inputs by their action.yml name (`ssh-private-key`). */
  inputs: Record<string, string>;
  /** GITHUB_WORKSPACE and working directory. */
  workspace: string;
  /** Directory holding action.yml and dist/ (default: the repository). */
  actionDir?: string;
  timeoutMs?: number;
  /** Called with the stdout so far on every chunk (e.g. to send a signal at the right moment). */
  onStdout?: (stdout: string, child: ChildProcess) => void;
  /** Script to run instead of `<actionDir>/dist/index.js` (e.g. one that calls `run()` itself). */
  entry?: string;
  /** More environment (`GITHUB_API_URL`, `GITHUB_REPOSITORY`…), set last. */
  env?: Record<string, string>;
}

/**
 * GitHub sends SIGTERM 7.5 s after the SIGINT that cancels a run. The action aims to have reported
 * within 4.7 s of the SIGINT; a test whose cancel path needs most of that by design (the 3.5 s grace
 * for an engine that does not return, the 2.5 s cancel budget, a 2 s kill grace) bounds it here,
 * before the SIGTERM, so a loaded machine has the rest. The broken case such tests guard against is
 * a step that does not end at all (a 30 s command, a cleanup that never returns).
 */
export const REPORTED_BEFORE_SIGTERM_MS = 7_000;

/** What the runner puts where action.yml says `${{ github.token }}`: the job's token, here a fake one. */
export const WORKFLOW_TOKEN = 'ghs_FakeWorkflowToken0123456789abcdefABCD';

export { installedAction } from '../support/installed-action.js';

/** `INPUT_` + the name uppercased, spaces to `_`, dashes kept (as the runner does). */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

async function inputDefaults(actionDir: string): Promise<Record<string, string>> {
  const action = parse(await readFile(join(actionDir, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  // The runner evaluates expressions in defaults; the only one action.yml uses is the job's token.
  const evaluate = (text: string): string => text.replace(/\$\{\{\s*github\.token\s*\}\}/g, WORKFLOW_TOKEN);
  return Object.fromEntries(
    Object.entries(action.inputs).map(([k, v]) => [k, evaluate(String(v.default ?? ''))]),
  );
}

/** `name<<DELIM\nvalue\nDELIM\n` records (and plain `name=value` lines). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i] ?? '');
      out[name] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

export async function runAction(opts: ActionRunOptions): Promise<ActionRun> {
  const actionDir = opts.actionDir ?? REPO;
  const runnerDir = await tempDir('bw-runner-');
  const runnerTemp = join(runnerDir, 'temp');
  const home = join(runnerDir, 'home');
  const tmp = join(runnerDir, 'tmp');
  for (const dir of [runnerTemp, home, tmp]) await mkdir(dir);
  const outputPath = join(runnerDir, 'output');
  const summaryPath = join(runnerDir, 'summary.md');
  await writeFile(outputPath, '');
  await writeFile(summaryPath, '');

  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(INPUT_|GITHUB_|RUNNER_)/.test(k)) env[k] = v;
  const inputs = { ...(await inputDefaults(actionDir)), ...opts.inputs };
  for (const [name, value] of Object.entries(inputs)) env[inputEnvName(name)] = value;
  Object.assign(env, {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_ACTION: 'release',
    RUNNER_TEMP: runnerTemp,
    // Its own home and temp directory: a key written to ~/.ssh or /tmp would be found by filesHolding.
    HOME: home,
    TMPDIR: tmp,
    ...opts.env,
  });

  const entry = opts.entry ?? join(actionDir, 'dist/index.js');
  const { code, signal, stdout, stderr, ms } = await runNode(entry, [], {
    cwd: opts.workspace,
    env,
    timeoutMs: opts.timeoutMs ?? 60_000,
    ...(opts.onStdout ? { onStdout: opts.onStdout } : {}),
  });

  const outputFile = await readFile(outputPath, 'utf8');
  const outputs = parseOutputFile(outputFile);
  const reportPath = outputs.report ?? '';
  const reportText = reportPath && existsSync(reportPath) ? await readFile(reportPath, 'utf8') : '';
  return {
    code,
    signal,
    stdout,
    stderr,
    summary: await readFile(summaryPath, 'utf8'),
    outputs,
    outputFile,
    reportText,
    ms,
    runnerDir,
    workspace: opts.workspace,
  };
}

export interface Annotation {
  level: string;
  title: string;
  message: string;
}

const unescapeData = (s: string): string =>
  s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string): string => unescapeData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));

/** `::error title=…::message` lines, decoded as the runner decodes them. */
export function annotationsOf(stdout: string, level: 'error' | 'warning' | 'notice'): Annotation[] {
  const out: Annotation[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m || m[1] !== level) continue;
    const props = Object.fromEntries(
      (m[2] ?? '')
        .split(',')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), unescapeProperty(kv.slice(kv.indexOf('=') + 1))]),
    );
    out.push({ level, title: props.title ?? '', message: unescapeData(m[3] ?? '') });
  }
  return out;
}

/** Workflow commands the runner consumes itself and never shows (`::add-mask::…`). */
export function maskCommands(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('::add-mask::'))
    .map((l) =>
      l.slice('::add-mask::'.length).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'),
    );
}

/** What a reader can see: every channel the action writes, less the mask commands. */
export function visibleText(run: ActionRun): Record<string, string> {
  return {
    stdout: run.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n'),
    stderr: run.stderr,
    summary: run.summary,
    outputs: run.outputFile,
    report: run.reportText,
  };
}

/** The channels (and where) that contain one of `secrets`, or each line of them. */
export function leaks(run: ActionRun, secrets: readonly string[]): string[] {
  const needles = new Set<string>();
  for (const s of secrets) {
    needles.add(s);
    for (const line of s.split('\n')) if (line.trim().length >= 8) needles.add(line.trim());
  }
  const found: string[] = [];
  for (const [channel, text] of Object.entries(visibleText(run))) {
    for (const n of needles) if (text.includes(n)) found.push(`${channel}: ${n.slice(0, 16)}…`);
  }
  return found;
}

/**
 * What would give a private key away on disk: each line of its base64 body, and the key itself
 * decoded (whole, and a 32-byte piece of its middle, in case it was written in another wrapping).
 */
export function keyMaterial(keyText: string): (string | Buffer)[] {
  const body = keyText
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('-----') && !/^[\w-]+:/.test(l));
  if (body.length === 0) throw new Error('keyMaterial: no key body in the text given');
  const decoded = Buffer.from(body.join(''), 'base64');
  const middle = Math.floor(decoded.length / 2);
  return [...body.filter((l) => l.length >= 16), decoded, decoded.subarray(middle - 16, middle + 16)];
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path); // symlinks (a release's `current`) point inside anyway
  }
  return out;
}

/**
 * Files the run left under its runner directory (RUNNER_TEMP, HOME, TMPDIR, outputs) or its
 * workspace that hold one of `needles`, as `path: needle…`. Byte-wise: binary files count too.
 */
export function filesHolding(run: ActionRun, needles: readonly (string | Buffer)[]): string[] {
  const found: string[] = [];
  for (const file of [...filesUnder(run.runnerDir), ...filesUnder(run.workspace)]) {
    const bytes = readFileSync(file);
    needles.forEach((needle, i) => {
      if (bytes.includes(needle)) found.push(`${file}: needle ${i} (${needle.length} chars/bytes)`);
    });
  }
  return found;
}
