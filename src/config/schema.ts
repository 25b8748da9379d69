/**
 * The release config (docs/config.md) as one zod schema: the validator and the published JSON Schema
 * (`schema/release.schema.json`) are both generated from it. Every leaf carries an `expected …`
 * message; `issues.ts` adds the position, the path and what was found.
 */
import { z } from 'zod';
import { VAR_NAME } from '../contract/transport.js';
import { USER_PATTERN, parseRemoteAddress } from './formats.js';
import {
  GROUP_NAME,
  GROUP_NAME_PATTERN,
  amount,
  bool,
  duration,
  expected,
  hostEntry,
  nonEmptyString,
  nonNegativeInt,
  port,
  positiveInt,
  shell,
  stageHost,
} from './schema-values.js';
import { lockSchema, releaseStepSchema, releasesSchema } from './schema-releases.js';

/** Variables the engine sets for every job: step names and upload paths may use them. */
export const JOB_VARS: readonly string[] = Object.freeze([
  'BW_HOST',
  'BW_HOST_ADDRESS',
  'BW_STAGE',
  'BW_RUNNER',
  'BW_RELEASE',
  'BW_ATTEMPT',
  'BW_RESULT',
  'BW_FAILED_STAGE',
  'BW_FAILED_HOSTS',
]);

/** Variables a config's `releases:` block adds to every step. */
export const RELEASE_PATH_VARS: readonly string[] = Object.freeze(['BW_RELEASE_PATH', 'BW_RELEASES_PATH']);

/** Variables the release pipeline (CLI and action) sets for the whole run. */
export const RUN_VARS: readonly string[] = Object.freeze([
  'BW_LOCK_TOKEN',
  'BW_RUN_ID',
  'BW_RUN_ATTEMPT',
  'BW_RUN_URL',
  'BW_ACTOR',
]);

/** Variables the tool sets (for every job, for a gate, for a run); a config may not define them. */
export const RESERVED_VARS: readonly string[] = Object.freeze([
  ...JOB_VARS,
  'BW_WAVE',
  'BW_WAVE_HOSTS',
  ...RELEASE_PATH_VARS,
  ...RUN_VARS,
]);

/** Top-level keys the validator ignores, as in Docker Compose: `x-stage-defaults: &defaults`. */
export const EXTENSION_KEY = /^x-/;

const uploadSchema = z
  .strictObject(
    {
      from: nonEmptyString('a local path').describe(
        'Local path (file or directory), relative to the working directory.',
      ),
      to: nonEmptyString('a remote path').describe('Remote path; ${NAME} is expanded from the vars.'),
      'link-from': nonEmptyString('a remote directory')
        .describe(
          'A directory on the host (normally the previous release): files whose content and mode equal those at the same path there are hard-linked instead of sent. Missing: everything is sent.',
        )
        .optional(),
      compress: z
        .union([z.boolean(), z.literal('auto')], expected('auto, true or false'))
        .describe(
          'compress the archive on the way (zstd where both sides have it, else gzip). auto (the default): only when a few-MB sample of the files shrinks by 10 % or more; true/false: always/never.',
        )
        .optional(),
    },
    expected('a map {from, to, link-from, compress}'),
  )
  .describe(
    'Ship a local file or directory to the host as one tar stream; ${NAME} in the paths is expanded per job.',
  );

const STEP_KINDS = ['run', 'local', 'upload', 'release'] as const;

export const stepSchema = z
  .strictObject(
    {
      name: nonEmptyString('a step name').optional().describe('Label in logs; ${NAME} is expanded per job.'),
      run: z
        .string(expected('a script'))
        .optional()
        .describe('Script run on the host (remote shell, or bash for local: hosts).'),
      local: z
        .string(expected('a script'))
        .optional()
        .describe('Script run on the controller, once per job.'),
      upload: uploadSchema.optional(),
      release: releaseStepSchema.optional(),
      shell: shell().optional(),
    },
    expected('a step: a map with run, local, upload or release'),
  )
  .superRefine((step, ctx) => {
    const kinds = STEP_KINDS.filter((kind) => step[kind] !== undefined);
    if (kinds.length !== 1) {
      const found = kinds.length === 0 ? 'none' : kinds.join(' and ');
      ctx.addIssue({
        code: 'custom',
        message: `a step needs exactly one of run, local, upload or release, found ${found}`,
      });
    }
    const fixed = step.upload !== undefined ? 'upload' : step.release !== undefined ? 'release' : undefined;
    if (fixed && step.shell !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['shell'],
        message: `shell applies to run and local steps, not to ${fixed}`,
      });
    }
  })
  .meta({
    description: 'One step: exactly one of run, local, upload or release.',
    oneOf: STEP_KINDS.map((kind) => ({ required: [kind] })),
  });

export type StepConfig = z.output<typeof stepSchema>;

const verifySchema = z
  .strictObject(
    {
      run: z.string(expected('a script')).optional().describe('Check run on the host.'),
      local: z
        .string(expected('a script'))
        .optional()
        .describe('Check run on the controller, once per host (BW_HOST names it).'),
      timeout: duration({ allowZero: false })
        .optional()
        .describe('Give up this long after the first attempt; the job fails. Default 30s.'),
      interval: duration({ allowZero: true }).optional().describe('Wait between attempts. Default 1s.'),
    },
    expected('a map {run or local, timeout, interval}'),
  )
  .superRefine((verify, ctx) => {
    if ((verify.run === undefined) === (verify.local === undefined)) {
      const found = verify.run === undefined ? 'none' : 'run and local';
      ctx.addIssue({ code: 'custom', message: `verify needs exactly one of run or local, found ${found}` });
    }
  })
  .meta({
    description:
      'Checked on each host after its steps, again every interval until it passes or timeout ends; a host that never passes fails its job.',
    oneOf: [{ required: ['run'] }, { required: ['local'] }],
  });

const gateSchema = z
  .strictObject(
    {
      local: z
        .string(expected('a script'))
        .describe('Check run on the controller, with BW_WAVE and BW_WAVE_HOSTS.'),
      timeout: duration({ allowZero: false }).optional().describe('Per run of the gate. Default 1m.'),
      soak: duration({ allowZero: true })
        .optional()
        .describe('Wait after each wave before the gate runs. Default 0s.'),
    },
    expected('a map {local, timeout, soak}'),
  )
  .describe(
    'Run once on the controller after each wave (the canary’s included); a failed gate stops the stage and the run, like a failed canary.',
  );

export const WHEN = 'success, failure, cancelled or always';

/** The fields every stage has, whether it comes from YAML or from a JavaScript module. */
export const stageFields = {
  name: nonEmptyString('a stage name').describe('Stage name; ${NAME} is expanded from the vars.'),
  hosts: z
    .array(stageHost(), expected('a list of host groups and host entries'))
    .min(1, expected('at least one host group or host entry'))
    .optional()
    .describe('Host groups and/or host entries. Omitted: one job on the controller.'),
  canary: bool()
    .optional()
    .describe('Run the first job alone; if it fails nothing else starts. Default true.'),
  parallel: bool()
    .optional()
    .describe('Run the other jobs in a pool; false runs them one by one. Default true.'),
  'pool-size': positiveInt().optional().describe('Jobs running at once. Default 10.'),
  batch: z
    .array(amount({ allowZero: false }), expected('a list of wave sizes like [2, 5, 25%]'))
    .min(1, expected('a list of wave sizes like [2, 5, 25%]'))
    .optional()
    .describe('Waves after the canary: counts or percentages of the stage’s jobs; the last size repeats.'),
  'max-failures': amount({ allowZero: true })
    .optional()
    .describe('Failures the stage tolerates (count or percentage); more fails the stage. Default 0.'),
  'can-fail': bool()
    .optional()
    .describe('A failed stage does not stop the run (a failed canary still does). Default false.'),
  retries: nonNegativeInt().optional().describe('Extra attempts per job. Default 0.'),
  'retry-delay': duration({ allowZero: true })
    .optional()
    .describe('Backoff base between attempts. Default 1s.'),
  timeout: duration({ allowZero: false }).optional().describe('Per attempt. Default: none.'),
  shell: shell().optional(),
  verify: verifySchema.optional(),
  gate: gateSchema.optional(),
  when: z
    .enum(['success', 'failure', 'cancelled', 'always'], expected(WHEN))
    .optional()
    .describe(
      'When the stage runs: success (default, while the release succeeds), or on the way out: failure, cancelled, always. Their failure is only a warning.',
    ),
};

export const steps = () =>
  z
    .array(stepSchema, expected('a list of steps'))
    .min(1, expected('at least one step'))
    .describe('Steps run in order on every host of the stage.');

export const stageSchema = z
  .strictObject({ ...stageFields, steps: steps() }, expected('a stage: a map with name and steps'))
  .describe('A stage: one job per host, run with a canary, a pool, batches and a failure budget.');

export type StageConfig = z.output<typeof stageSchema>;

export const RUNNER_NAME = 'a runner name (letters, digits, ".", "-" and "_")';
export const RUNNER_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function runner<S extends z.ZodType>(stage: S) {
  return z.strictObject(
    {
      description: z.string(expected('a string')).optional().describe('What the runner does.'),
      stages: z
        .array(stage, expected('a list of stages'))
        .min(1, expected('at least one stage'))
        .describe('Stages, run in order.'),
    },
    expected('a runner: a map with description and stages'),
  );
}

export const runnerSchema = runner(stageSchema).describe('A named release procedure.');
export type RunnerConfig = z.output<typeof runnerSchema>;

export const sshSchema = z
  .strictObject(
    {
      user: z
        .string(expected('a user name'))
        .regex(new RegExp(USER_PATTERN), expected('a user name'))
        .optional()
        .describe('Default user. Default: the current OS user.'),
      port: port().optional().describe('Default port. Default 22.'),
      'private-key': nonEmptyString('a path')
        .optional()
        .describe('Private key file; --identity / the action input override it.'),
      'known-hosts': z
        .union(
          [nonEmptyString('a path'), z.array(nonEmptyString('a path')).min(1, expected('at least one path'))],
          expected('a path or a list of paths'),
        )
        .optional()
        .describe('known_hosts file(s). Default ~/.ssh/known_hosts.'),
      'host-key-checking': z
        .enum(['strict', 'accept-new', 'off'], expected('strict, accept-new or off'))
        .optional()
        .describe('strict (default), accept-new, or off (insecure, warned about).'),
      'connect-timeout': duration({ allowZero: false }).optional().describe('Default 10s.'),
      keepalive: duration({ allowZero: false })
        .optional()
        .describe('Keepalive interval; a host is lost after 3 missed. Default 5s.'),
      'jump-host': z
        .string(expected('a jump host like deploy@bastion.example.com:22'))
        .refine(
          (text) => parseRemoteAddress(text) !== undefined,
          expected('a jump host like deploy@bastion.example.com:22'),
        )
        .optional()
        .describe('Bastion to connect through: user@host:port.'),
      'max-sessions': positiveInt().optional().describe('Concurrent channels per connection. Default 8.'),
      client: z
        .enum(['auto', 'builtin', 'openssh'], expected('auto, builtin or openssh'))
        .optional()
        .describe(
          'Which SSH client connects: auto (default: openssh when config, certificate or options is set), builtin, or openssh (the system ssh).',
        ),
      config: nonEmptyString('a path')
        .optional()
        .describe(
          'An ssh_config file for the OpenSSH client (ssh -F); hosts may be named by their Host alias.',
        ),
      certificate: nonEmptyString('a path')
        .optional()
        .describe('A user certificate for the OpenSSH client (CertificateFile).'),
      options: z
        .record(
          z.string(expected('an OpenSSH option name')),
          z.union([z.string(), z.number(), z.boolean()], expected('a string, number or boolean')),
          expected('a map of OpenSSH options: { Name: value }'),
        )
        .optional()
        .describe('Extra OpenSSH options (ssh -o Name=value) for the OpenSSH client.'),
    },
    expected('a map of SSH settings'),
  )
  .describe('SSH defaults for every host.');

export type SshConfig = z.output<typeof sshSchema>;

const VAR = 'a variable name matching [A-Za-z_][A-Za-z0-9_]*';
const varName = z
  .string(expected(VAR))
  .regex(VAR_NAME, expected(VAR))
  .refine((name) => !RESERVED_VARS.includes(name), {
    error: (issue) => `${String(issue.input)} is set by the tool for every job; choose another name`,
  });

export const varsSchema = z
  .record(
    varName,
    z
      .union([z.string(), z.number(), z.boolean()], expected('a string'))
      .transform((value) => String(value))
      .describe('A string; numbers and booleans are taken as written.'),
    expected('a map of variables'),
  )
  .describe('Variables: the environment of every step, and ${NAME} in names and upload paths. --var wins.');

export const groupsSchema = z
  .record(
    z.string(expected(GROUP_NAME)).regex(GROUP_NAME_PATTERN, expected(GROUP_NAME)),
    z.array(hostEntry(), expected('a list of hosts')).describe('Hosts of the group.'),
    expected('a map of host groups'),
  )
  .describe('Named host groups.');

export const configSchema = z
  .strictObject(
    {
      version: z.literal(1, expected('1')).describe('Config format version; must be 1.'),
      ssh: sshSchema.optional(),
      hosts: groupsSchema.optional(),
      vars: varsSchema.optional(),
      lock: lockSchema.optional(),
      releases: releasesSchema.optional(),
      runners: z
        .record(
          z.string(expected(RUNNER_NAME)).regex(RUNNER_NAME_PATTERN, expected(RUNNER_NAME)),
          runnerSchema,
          expected('a map of runners'),
        )
        .refine((runners) => Object.keys(runners).length > 0, expected('at least one runner'))
        .describe('Release procedures by name (deploy, rollback, …).'),
    },
    expected('a release config: a map with version, ssh, hosts, vars, lock, releases and runners'),
  )
  .meta({
    title: 'Boerewors release config',
    description: 'Release config of boerewors-action (version 1).',
    // Top-level `x-…` keys are ignored, a place for YAML anchors (`<<: *defaults`).
    patternProperties: { [EXTENSION_KEY.source]: {} },
  });

/** The document without its top-level `x-…` keys. */
export function withoutExtensions(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  return Object.fromEntries(Object.entries(data).filter(([key]) => !EXTENSION_KEY.test(key)));
}

export type ReleaseConfig = z.output<typeof configSchema>;
