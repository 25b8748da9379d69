/**
 * Validated runner configs → engine Runners. Pure: builds stages and job factories, runs nothing.
 * Cross-references the schema cannot check (groups, `${NAME}` references, duplicate stage names)
 * fail here, at the position of the offending value.
 */
import { CONTROLLER } from '../engine/host.js';
import type { Host } from '../engine/host.js';
import { isJob } from '../engine/job.js';
import type { Job } from '../engine/job.js';
import { Runner } from '../engine/runner.js';
import { Stage } from '../engine/stage.js';
import { DEFAULT_SHELL } from '../engine/subtask.js';
import { expandVars, VAR_NAME } from '../engine/vars.js';
import { ConfigError } from '../errors.js';
import { configIssueError } from './config-error.js';
import { didYouMean } from './did-you-mean.js';
import { referencedVars, toAmount, toShell } from './formats.js';
import { resolveStageHosts } from './hosts.js';
import type { HostCatalog } from './hosts.js';
import type { ConfigPath, Locator } from './locator.js';
import { RESERVED_VARS } from './schema.js';
import type { ModuleRunnerConfig, ModuleStageConfig } from './module-schema.js';
import type { RunnerConfig, StageConfig, StepConfig } from './schema.js';
import { StepsJob } from './steps-job.js';
import type { Step } from './steps-job.js';

export interface PlanContext {
  readonly groups: Readonly<Record<string, readonly Host[]>>;
  readonly catalog: HostCatalog;
  /** Merged vars (config < overrides). */
  readonly vars: Readonly<Record<string, string>>;
  readonly locator: Locator;
}

export function buildRunner(
  name: string,
  config: RunnerConfig | ModuleRunnerConfig,
  ctx: PlanContext,
): Runner {
  const seen = new Set<string>();
  const stages = config.stages.map((stage: StageConfig | ModuleStageConfig, i) => {
    const path = ['runners', name, 'stages', i];
    const built = buildStage(stage, path, ctx);
    if (seen.has(built.name)) {
      throw configIssueError(
        ctx.locator,
        [...path, 'name'],
        `duplicate stage name "${built.name}" in runner "${name}"`,
      );
    }
    seen.add(built.name);
    return built;
  });
  return new Runner({ name, description: config.description ?? '', stages, stageCount: stages.length });
}

function buildStage(stage: StageConfig | ModuleStageConfig, path: ConfigPath, ctx: PlanContext): Stage {
  checkVarRefs(stage.name, [...path, 'name'], Object.keys(ctx.vars), ctx.locator);
  const name = expandVars(stage.name, ctx.vars);
  const hosts = stage.hosts
    ? resolveStageHosts(stage.hosts, [...path, 'hosts'], ctx.groups, ctx.catalog, ctx.locator)
    : [CONTROLLER];
  const shell = stage.shell === undefined ? DEFAULT_SHELL : toShell(stage.shell);
  const makeJob =
    'job' in stage && stage.job ? customJob(stage.job, name) : stepsJob(stage, path, shell, ctx);
  return new Stage({
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
    }),
    jobs: () => hosts.map(makeJob),
  });
}

function stepsJob(
  stage: { steps?: readonly StepConfig[] },
  path: ConfigPath,
  shell: readonly string[],
  ctx: PlanContext,
): (host: Host) => Job {
  // Upload paths and step names may also use the per-job BW_* variables.
  const known = [...Object.keys(ctx.vars), ...RESERVED_VARS];
  const steps = (stage.steps ?? []).map((step, i) =>
    toStep(step, [...path, 'steps', i], shell, known, ctx.locator),
  );
  return (host) => new StepsJob(host, steps);
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
    return { kind: 'upload', ...name, from: step.upload.from, to: step.upload.to };
  }
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

/** Every `${NAME}` in a non-command field must name a known variable. */
function checkVarRefs(text: string, path: ConfigPath, known: readonly string[], locator: Locator): void {
  for (const name of referencedVars(text)) {
    if (!VAR_NAME.test(name)) throw configIssueError(locator, path, `invalid variable name "\${${name}}"`);
    if (!known.includes(name)) {
      throw configIssueError(locator, path, `unknown variable "\${${name}}"${didYouMean(name, known)}`);
    }
  }
}

function defined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
