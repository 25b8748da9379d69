/**
 * The import rules of src/ (see docs/architecture.md), checked by `npm run lint`:
 * front ends → pipeline → config → steps → engine → contract ← transport, and reporters read events only.
 * A layer may import the ones below it, never the ones above, so no two folders import each other.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment:
        'Modules must not import each other in a circle, not even for types. The library ' +
        'entry imports its own namespace to hand it to JavaScript configs; every other cycle through ' +
        'it is still caught from the other modules in it.',
      from: { path: '^src/', pathNot: '^src/index\\.ts$' },
      to: { circular: true },
    },
    {
      name: 'contract-imports-nothing',
      severity: 'error',
      comment: 'src/contract/ is the bottom layer: the vocabulary engine and transport share.',
      from: { path: '^src/contract/' },
      to: { path: '^src/', pathNot: '^src/contract/' },
    },
    {
      name: 'engine-imports-contract-only',
      severity: 'error',
      comment: 'The engine schedules; it runs commands only through the Transport interface.',
      from: { path: '^src/engine/' },
      to: { path: '^src/', pathNot: '^src/(engine|contract)/' },
    },
    {
      name: 'engine-reads-top-down',
      severity: 'error',
      comment:
        'Inside the engine, schedule/ → policy/ → model/ → report/ (src/engine/README.md): the pure ' +
        'rules and the values never reach up into the scheduler.',
      from: { path: '^src/engine/(report|model|policy)/' },
      to: { path: '^src/engine/(schedule)/' },
    },
    {
      name: 'engine-model-below-policy',
      severity: 'error',
      comment: 'The values of model/ and report/ know no policy; report/ knows no model.',
      from: { path: '^src/engine/(report|model)/' },
      to: { path: '^src/engine/policy/|^src/engine/model/', pathNot: '^src/engine/$1/' },
    },
    {
      name: 'transport-imports-contract-only',
      severity: 'error',
      comment: 'Transports run commands; they know nothing of the engine, config or front ends.',
      from: { path: '^src/transport/' },
      to: { path: '^src/', pathNot: '^src/(transport|contract)/' },
    },
    {
      name: 'ssh-clients-apart',
      severity: 'error',
      comment:
        'The built-in ssh2 client (transport/ssh/) and the OpenSSH client (transport/openssh/) share ' +
        'only transport/remote/ (a command on a connection, the pool) and transport/upload/.',
      from: { path: '^src/transport/(ssh|openssh)/' },
      to: { path: '^src/transport/(ssh|openssh)/', pathNot: '^src/transport/$1/' },
    },
    {
      name: 'transport-parts-below-clients',
      severity: 'error',
      comment: 'What the transports share (remote/, upload/) knows no client.',
      from: { path: '^src/transport/(remote|upload)/' },
      to: {
        path: '^src/transport/(ssh|openssh)/|^src/transport/[^/]+\\.ts$',
        pathNot: '^src/transport/line-splitter\\.ts$',
      },
    },
    {
      name: 'steps-import-engine-only',
      severity: 'error',
      comment:
        'The built-in steps and the scripts they run on hosts are engine jobs and pure text: they ' +
        'know no config, transport, reporter, pipeline or front end.',
      from: { path: '^src/steps/' },
      to: { path: '^src/', pathNot: '^src/(steps|engine|contract)/' },
    },
    {
      name: 'config-below-pipeline',
      severity: 'error',
      comment:
        'Config builds runners from text: no transport, reporters, pipeline, front end or library entry.',
      from: { path: '^src/config/' },
      to: { path: '^src/((transport|reporters|pipeline|cli|action)/|index\\.ts$)' },
    },
    {
      name: 'reporters-read-events-only',
      severity: 'error',
      comment: 'Reporters turn engine events and reports into text; they run and load nothing.',
      from: { path: '^src/reporters/' },
      to: { path: '^src/((transport|config|steps|pipeline|cli|action)/|index\\.ts$)' },
    },
    {
      name: 'pipeline-below-front-ends',
      severity: 'error',
      comment: 'The pipeline is shared by the CLI and the action, so it imports neither.',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/(cli|action)/' },
    },
    {
      name: 'lock-below-pipeline',
      severity: 'error',
      comment: 'pipeline.ts runs a release with the lock of pipeline/lock/, which never calls back into it.',
      from: { path: '^src/pipeline/lock/' },
      to: { path: '^src/pipeline/pipeline\\.ts$' },
    },
    {
      name: 'front-ends-apart',
      severity: 'error',
      comment: 'What the CLI and the action share belongs in src/pipeline/.',
      from: { path: '^src/(cli|action)/' },
      to: { path: '^src/(cli|action)/', pathNot: '^src/$1/' },
    },
    {
      name: 'library-entry-below-front-ends',
      severity: 'error',
      comment: 'src/index.ts exports the library; the pipeline and the front ends sit above it.',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/(pipeline|cli|action)/' },
    },
    {
      name: 'actions-toolkit-in-action-only',
      severity: 'error',
      comment: '@actions/* belongs to the action front end; the GitHub reporters get `core` injected.',
      from: { path: '^src/', pathNot: '^src/action/' },
      to: { path: '(^|/)node_modules/@actions/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
