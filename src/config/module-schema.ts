/** JavaScript-module configs: the YAML blocks, plus stages that build custom jobs (`job: (host) => Job`). */
import { z } from 'zod';
import {
  RUNNER_NAME,
  RUNNER_NAME_PATTERN,
  groupsSchema,
  runner,
  sshSchema,
  stageFields,
  steps,
  varsSchema,
} from './schema.js';
import { expected } from './schema-values.js';
import { lockSchema, releasesSchema } from './schema-releases.js';

const moduleStageSchema = z
  .strictObject(
    {
      ...stageFields,
      steps: steps().optional(),
      job: z
        .custom<(host: never) => unknown>(
          (value) => typeof value === 'function',
          expected('a function (host) => Job'),
        )
        .optional(),
    },
    expected('a stage: a map with name and steps (or job)'),
  )
  .superRefine((stage, ctx) => {
    if ((stage.steps === undefined) === (stage.job === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a stage needs exactly one of steps or job' });
    }
  });

export type ModuleStageConfig = z.output<typeof moduleStageSchema>;
export const moduleRunnerSchema = runner(moduleStageSchema);
export type ModuleRunnerConfig = z.output<typeof moduleRunnerSchema>;

/** A module's default export, once its Runner instances are taken out (see `js-module.ts`). */
export const moduleConfigSchema = z.strictObject(
  {
    version: z.literal(1, expected('1')).optional(),
    ssh: sshSchema.optional(),
    hosts: groupsSchema.optional(),
    vars: varsSchema.optional(),
    lock: lockSchema.optional(),
    releases: releasesSchema.optional(),
    runners: z.record(
      z.string(expected(RUNNER_NAME)).regex(RUNNER_NAME_PATTERN, expected(RUNNER_NAME)),
      moduleRunnerSchema,
      expected('a list of Runner objects or a map of runners'),
    ),
  },
  expected('a config object with ssh, hosts, vars, lock, releases and runners'),
);
