/**
 * Validated runner configs → engine Runners. Pure: builds stages and job factories, runs nothing.
 * Cross-references the schema cannot check (groups, `${NAME}` references, duplicate stage names)
 * fail here, at the position of the offending value.
 */
import { CONTROLLER } from '../contract/host.js';
import type { Host } from '../contract/host.js';
import { isJob } from '../engine/model/job.js';
import type { Job } from '../engine/model/job.js';
import { Runner } from '../engine/model/runner.js';
import { Stage, type GateOptions, type VerifyOptions } from '../engine/model/stage.js';
import { local, remote } from '../engine/model/subtask.js';
import { DEFAULT_SHELL } from '../contract/transport.js';
import { expandVars, parseTemplate, TemplateSyntaxError } from '../engine/model/vars.js';
import { ConfigError } from '../contract/errors.js';
import { configIssueError } from './config-error.js';
import { didYouMean } from './did-you-mean.js';
import { toAmount, toShell } from './formats.js';
import { resolveStageHosts } from './hosts.js';
import type { HostCatalog } from './hosts.js';
import type { ConfigPath, Locator } from './locator.js';
import { JOB_VARS, RELEASE_PATH_VARS, RESERVED_VARS, RUN_VARS } from './schema.js';
import type { ReleaseDirs } from '../steps/release-dirs.js';
import type { ModuleRunnerConfig, ModuleStageConfig } from './module-schema.js';
import type { RunnerConfig, StageConfig, StepConfig } from './schema.js';
import { checkWithReleasePaths } from '../steps/release-step.js';
import { rollbackFrom, rollbackReadStage } from './rollback-from.js';
import { StepsJob } from '../steps/steps-job.js';
import type { Step } from '../steps/steps-job.js';

export interface BuildContext {
  readonly groups: Readonly<Record<string, readonly Host[]>>;
  readonly catalog: HostCatalog;
  /** Merged vars (config < overrides). */
  readonly vars: Readonly<Record<string, string>>;
  readonly locator: Locator;
  /** The `releases:` block, for `release:` steps and the BW_RELEASE_PATH variables. */
  readonly releases?: ReleaseDirs;
}

/** What a runner built from config will touch, known before it runs: for checks up front. */
export interface RunnerFootprint {
  /** Every host of its stages (the controller included), each once. */
  readonly hosts: readonly Host[];
  /** Its upload steps' sources as written (`${NAME}` unexpanded), with where they are written. */
  readonly uploads: readonly UploadSource[];
}

export interface UploadSource {
  readonly from: string;
  readonly path: ConfigPath;
  /**
   * An earlier step may have made it: a `local` step, a `run` step on this machine (the controller
   * or a `local:` host), or a custom job, ran before it in the runner.
   */
  readonly afterLocalWork: boolean;
}

interface MutableFootprint {
  hosts: Host[];
  uploads: UploadSource[];
  localWork: boolean;
}

export function buildRunner(
  name: string,
  config: RunnerConfig | ModuleRunnerConfig,
  ctx: BuildContext,
): { runner: Runner; footprint: RunnerFootprint } {
  const seen = new Set<string>();
  const footprint: MutableFootprint = { hosts: [], uploads: [], localWork: false };
  const stages = config.stages.flatMap((stage: StageConfig | ModuleStageConfig, i) => {
    const path = ['runners', name, 'stages', i];
    checkWayOut(stage, i, path, ctx.locator);
    const all = buildStage(stage, path, ctx, footprint);
    const built = all.at(-1) as Stage;
    if (seen.has(built.name)) {
      throw configIssueError(
        ctx.locator,
        [...path, 'name'],
        `duplicate stage name "${built.name}" in runner "${name}"`,
      );
    }
    seen.add(built.name);
    return all;
  });
  // Every host of its stages, in order: a shard then acts on the same hosts in every stage.
  const hosts = [...new Set(footprint.hosts)];
  const runner = new Runner({
    name,
    description: config.description ?? '',
    stages,
    stageCount: stages.length,
    hosts,
  });
  return { runner, footprint: { hosts, uploads: footprint.uploads } };
}

function buildStage(
  stage: StageConfig | ModuleStageConfig,
  path: ConfigPath,
  ctx: BuildContext,
  footprint: MutableFootprint,
): Stage[] {
  checkVarRefs(stage.name, [...path, 'name'], Object.keys(ctx.vars), ctx.locator, { stageName: true });
  const name = expandVars(stage.name, ctx.vars);
  const hosts = stage.hosts
    ? resolveStageHosts(stage.hosts, [...path, 'hosts'], ctx.groups, ctx.catalog, ctx.locator)
    : [CONTROLLER];
  footprint.hosts.push(...hosts);
  const shell = stage.shell === undefined ? DEFAULT_SHELL : toShell(stage.shell);
  const makeJob =
    'job' in stage && stage.job
      ? customJob(stage.job, name)
      : stepsJob(stage, path, shell, ctx, footprint, hosts);
  if ('job' in stage && stage.job) footprint.localWork = true;
  const read =
    'job' in stage && stage.job ? null : rollbackReadStage(stage, name, hosts, ctx.vars, ctx.releases);
  // A local check may make files too (and a gate is one).
  if (stage.gate || stage.verify?.local !== undefined) footprint.localWork = true;
  const built = new Stage({
    name,
    ...defined({
      canary: stage.canary,
      parallel: stage.parallel,
      poolSize: stage['pool-size'],
      batch: stage.batch?.map(toAmount),
      maxFailures: stage['max-failures'] === undefined ? undefined : toAmount(stage['max-failures']),
      canFail: stage['can-fail'],
      retries: stage.retries,
      retryDelayMs: stage['retry-delay'],
      timeoutMs: stage.timeout,
      verify: stage.verify && toVerify(stage.verify, shell, ctx.releases),
      gate: stage.gate && toGate(stage.gate, shell),
      when: stage.when,
    }),
    jobs: read
      ? (run) => hosts.map((h) => withRollbackFrom(makeJob(h), rollbackFrom(run.previous, read.name)))
      : () => hosts.map(makeJob),
  });
  return read ? [read, built] : [built];
}

/** The job of a rollback stage, told which release the run rolls back (rollback-from.ts). */
function withRollbackFrom(job: Job, from: string | undefined): Job {
  if (!from || !(job instanceof StepsJob)) return job;
  return new StepsJob(job.host, job.steps, job.name, { ...job.options, rollbackFrom: from });
}

function toVerify(
  verify: NonNullable<StageConfig['verify']>,
  shell: readonly string[],
  releases: ReleaseDirs | undefined,
): VerifyOptions {
  const command =
    verify.run !== undefined ? remote(verify.run, { shell }) : local(verify.local as string, { shell });
  const check = releases ? checkWithReleasePaths(command, releases) : command;
  return { check, ...defined({ timeoutMs: verify.timeout, intervalMs: verify.interval }) };
}

function toGate(gate: NonNullable<StageConfig['gate']>, shell: readonly string[]): GateOptions {
  return { check: local(gate.local, { shell }), ...defined({ timeoutMs: gate.timeout, soakMs: gate.soak }) };
}

/**
 * Keys that can never do what they say. A `when: failure` or `when: cancelled` first stage never
 * runs: nothing ran before it to fail or be cancelled. A gate on a stage without hosts (one job on
 * the controller) has no waves to gate: a `local` step says the same plainly.
 */
function checkWayOut(
  stage: StageConfig | ModuleStageConfig,
  index: number,
  path: ConfigPath,
  locator: Locator,
): void {
  if (index === 0 && (stage.when === 'failure' || stage.when === 'cancelled')) {
    const what = stage.when === 'failure' ? 'fails' : 'is cancelled';
    throw configIssueError(
      locator,
      [...path, 'when'],
      `a "when: ${stage.when}" stage runs after an earlier stage when the release ${what}; as the first stage it never runs: move it after the stages it cleans up after`,
    );
  }
  if (stage.gate && !stage.hosts) {
    throw configIssueError(
      locator,
      [...path, 'gate'],
      'a gate runs after each wave of a stage’s hosts; this stage has no hosts (one job on the controller): use a local step instead',
    );
  }
}

function stepsJob(
  stage: { steps?: readonly StepConfig[] },
  path: ConfigPath,
  shell: readonly string[],
  ctx: BuildContext,
  footprint: MutableFootprint,
  hosts: readonly Host[],
): (host: Host) => Job {
  // Upload paths and step names may also use the per-job BW_* variables.
  const known = [
    ...Object.keys(ctx.vars),
    ...JOB_VARS,
    ...RUN_VARS,
    ...(ctx.releases ? RELEASE_PATH_VARS : []),
  ];
  const onThisMachine = hosts.some((host) => host.local);
  const steps = (stage.steps ?? []).map((step, i) => {
    const stepPath = [...path, 'steps', i];
    if (step.upload) {
      const from = { from: step.upload.from, path: [...stepPath, 'upload', 'from'] };
      footprint.uploads.push({ ...from, afterLocalWork: footprint.localWork });
    }
    if (step.local !== undefined || (step.run !== undefined && onThisMachine)) footprint.localWork = true;
    if (step.release !== undefined && !ctx.releases) {
      throw configIssueError(
        ctx.locator,
        [...stepPath, 'release'],
        `release: ${step.release} works on release directories: add a top-level releases: block ({ path: /srv/app, keep: 5 })`,
      );
    }
    return toStep(step, stepPath, shell, known, ctx.locator);
  });
  const options = ctx.releases ? { releases: ctx.releases } : {};
  return (host) => new StepsJob(host, steps, 'steps', options);
}

function toStep(
  step: StepConfig,
  path: ConfigPath,
  stageShell: readonly string[],
  known: readonly string[],
  locator: Locator,
): Step {
  const name = step.name === undefined ? {} : { name: step.name };
  if (step.name !== undefined) checkVarRefs(step.name, [...path, 'name'], known, locator);
  if (step.upload) {
    checkVarRefs(step.upload.from, [...path, 'upload', 'from'], known, locator);
    checkVarRefs(step.upload.to, [...path, 'upload', 'to'], known, locator);
    const linkFrom = step.upload['link-from'];
    if (linkFrom !== undefined) checkVarRefs(linkFrom, [...path, 'upload', 'link-from'], known, locator);
    return {
      kind: 'upload',
      ...name,
      from: step.upload.from,
      to: step.upload.to,
      ...(linkFrom !== undefined ? { linkFrom } : {}),
      ...(step.upload.compress !== undefined ? { compress: step.upload.compress } : {}),
    };
  }
  if (step.release !== undefined) return { kind: 'release', ...name, action: step.release };
  const shell = step.shell === undefined ? stageShell : toShell(step.shell);
  if (step.run !== undefined) return { kind: 'run', ...name, script: step.run, shell };
  return { kind: 'local', ...name, script: step.local as string, shell };
}

function customJob(factory: (host: never) => unknown, stage: string): (host: Host) => Job {
  return (host) => {
    const job = (factory as (host: Host) => unknown)(host);
    if (!isJob(job))
      throw new ConfigError(`stage "${stage}": job(host) must return a Job, got ${typeof job}`);
    return job;
  };
}

/**
 * Every `$` in a non-command field must be `${NAME}` with a known NAME, or `$$`. People write
 * `$HOME` or `${HOST_ROOT}` expecting a shell; these fields never see one, so the message says
 * where values come from instead.
 */
export function checkVarRefs(
  text: string,
  path: ConfigPath,
  known: readonly string[],
  locator: Locator,
  opts: { stageName?: boolean; releasesPath?: boolean } = {},
): void {
  let refs: string[];
  try {
    refs = parseTemplate(text).flatMap((piece) => ('ref' in piece ? [piece.ref] : []));
  } catch (e) {
    if (!(e instanceof TemplateSyntaxError)) throw e;
    const message =
      e.problem === 'bare-dollar'
        ? `"${e.found}" is not expanded: ${EXPANDED_BY_US}; write \${NAME} with NAME from vars, or $$ for a literal "$"`
        : e.message;
    throw configIssueError(locator, path, message + homeHint(e.found, path));
  }
  for (const name of refs) {
    if (known.includes(name)) continue;
    if (RELEASE_PATH_VARS.includes(name) && !opts.stageName) {
      const why = opts.releasesPath
        ? 'is made from releases.path, so releases.path cannot use it'
        : 'is set only when the config has a releases: block (path, keep, shared)';
      throw configIssueError(locator, path, `"\${${name}}" ${why}`);
    }
    if (opts.stageName && RESERVED_VARS.includes(name)) {
      throw configIssueError(
        locator,
        path,
        `"\${${name}}" is set per job, so a stage name cannot use it (step names and upload paths can)`,
      );
    }
    const hint = didYouMean(name, known);
    const why = hint || `: ${EXPANDED_BY_US}; define ${name} under vars: (or pass --var ${name}=…)`;
    throw configIssueError(
      locator,
      path,
      `unknown variable "\${${name}}"${why}${homeHint(`$${name}`, path)}`,
    );
  }
}

const EXPANDED_BY_US =
  'names and upload paths are expanded by boerewors on the controller from vars only ' +
  "(the config's vars:, --var, the action's vars and secret-vars), not by a shell and not from the environment";

/** `$HOME/…` in an upload target: the usual intent is the login user's home, which needs no variable. */
function homeHint(found: string, path: ConfigPath): string {
  if (path.at(-1) !== 'to' || !/^\$\{?HOME\}?$/.test(found)) return '';
  return ". On an SSH host a relative upload.to (or ~/…) is already relative to the login user's home";
}

function defined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
