import { loadYamlConfig, StepsJob } from '../../src/config/index.js';
import type { Host } from '../../src/contract/host.js';
import type { JobContext, SubtaskResult } from '../../src/engine/model/job.js';
import type { Stage, StageContext } from '../../src/engine/model/stage.js';
import { DEFAULT_SHELL } from '../../src/contract/transport.js';
import type { Subtask } from '../../src/engine/model/job.js';
import { ConfigError } from '../../src/contract/errors.js';

const text = [
  'version: 1',
  'hosts:',
  '  web: [web-1.example.com, web-2.example.com]',
  'vars:',
  '  APP: shop',
  'runners:',
  '  deploy:',
  '    stages:',
  '      - name: Ship',
  '        hosts: [web]',
  '        shell: sh -eu',
  '        steps:',
  '          - run: |',
  '              echo "$APP" ${APP} $(id -u)',
  '          - name: notify ${BW_HOST}',
  '            local: ./notify.sh "$BW_HOST"',
  '          - upload: { from: "build/${APP}/", to: "/srv/${APP}/${BW_HOST}/releases/${BW_RELEASE}" }',
  '          - name: zsh step',
  '            shell: [zsh, -e]',
  '            run: print ok',
  '          - upload: { from: a, to: "$${NOT_A_VAR}/b" }',
].join('\n');

const stageCtx: StageContext = { runner: 'deploy', release: 'r42', vars: {}, previous: [] };

function jobsOf(vars?: Record<string, string>): StepsJob[] {
  const config = loadYamlConfig(text, 'release.yml', vars);
  const [stage] = [
    ...(config.runners[0]!.stages({ ...stageCtx, signal: new AbortController().signal }) as Iterable<Stage>),
  ];
  return [...(stage!.jobs(stageCtx) as Iterable<StepsJob>)];
}

function contextFor(host: Host, vars: Record<string, string>): JobContext {
  return {
    host,
    stage: 'Ship',
    runner: 'deploy',
    release: 'r42',
    attempt: 1,
    signal: new AbortController().signal,
    env: {
      ...vars,
      BW_HOST: host.name,
      BW_HOST_ADDRESS: host.address,
      BW_STAGE: 'Ship',
      BW_RUNNER: 'deploy',
      BW_RELEASE: 'r42',
      BW_ATTEMPT: '1',
    },
  };
}

/** Drive the job's generator by hand, answering every subtask with success. */
async function subtasksOf(job: StepsJob, ctx: JobContext): Promise<Subtask[]> {
  const body = job.run(ctx);
  const seen: Subtask[] = [];
  let answer: SubtaskResult | undefined;
  for (;;) {
    const next = await body.next(answer as SubtaskResult);
    if (next.done) {
      expect(next.value).toBeUndefined();
      return seen;
    }
    seen.push(next.value);
    answer =
      next.value instanceof Object && 'kind' in next.value && next.value.kind === 'upload'
        ? { files: 1, bytes: 1, durationMs: 1 }
        : { exitCode: 0, signal: null, durationMs: 1 };
  }
}

describe('StepsJob', () => {
  it('is one job per host of the stage', () => {
    const jobs = jobsOf();
    expect(jobs.map((job) => job.host.name)).toEqual(['web-1.example.com', 'web-2.example.com']);
    expect(jobs.every((job) => job instanceof StepsJob)).toBe(true);
  });

  it('yields one subtask per step: scripts verbatim, paths and names expanded per job', async () => {
    const [web1, web2] = jobsOf();
    const subtasks = await subtasksOf(web1!, contextFor(web1!.host, { APP: 'shop' }));
    expect(subtasks).toEqual([
      {
        kind: 'exec',
        target: 'host',
        script: 'echo "$APP" ${APP} $(id -u)\n',
        shell: ['sh', '-eu'],
        label: 'run',
      },
      {
        kind: 'exec',
        target: 'controller',
        script: './notify.sh "$BW_HOST"',
        shell: ['sh', '-eu'],
        label: 'notify web-1.example.com',
      },
      {
        kind: 'upload',
        from: 'build/shop/',
        to: '/srv/shop/web-1.example.com/releases/r42',
        label: 'upload',
      },
      { kind: 'exec', target: 'host', script: 'print ok', shell: ['zsh', '-e'], label: 'zsh step' },
      { kind: 'upload', from: 'a', to: '${NOT_A_VAR}/b', label: 'upload' },
    ]);
    const second = await subtasksOf(web2!, contextFor(web2!.host, { APP: 'shop' }));
    expect(second[2]).toEqual({
      kind: 'upload',
      from: 'build/shop/',
      to: '/srv/shop/web-2.example.com/releases/r42',
      label: 'upload',
    });
  });

  it('expands from the job env, so --var overrides reach upload paths; scripts stay untouched', async () => {
    const [web1] = jobsOf({ APP: "x'; rm -rf / #" });
    const subtasks = await subtasksOf(web1!, contextFor(web1!.host, { APP: "x'; rm -rf / #" }));
    expect((subtasks[0] as { script: string }).script).toBe('echo "$APP" ${APP} $(id -u)\n');
    expect((subtasks[2] as { to: string }).to).toBe("/srv/x'; rm -rf / #/web-1.example.com/releases/r42");
  });

  it('uses the default shell when neither the stage nor the step names one', async () => {
    const config = loadYamlConfig(
      'version: 1\nrunners: { r: { stages: [{ name: s, steps: [{ run: "true" }, { local: "true" }] }] } }',
      'release.yml',
    );
    const [stage] = [
      ...(config.runners[0]!.stages({
        ...stageCtx,
        signal: new AbortController().signal,
      }) as Iterable<Stage>),
    ];
    const [job] = [...(stage!.jobs(stageCtx) as Iterable<StepsJob>)];
    const subtasks = await subtasksOf(job!, contextFor(job!.host, {}));
    expect(subtasks.map((s) => (s as { shell: readonly string[] }).shell)).toEqual([
      DEFAULT_SHELL,
      DEFAULT_SHELL,
    ]);
    expect(subtasks.map((s) => (s as { target: string }).target)).toEqual(['host', 'controller']);
  });

  it('a variable missing at run time fails the attempt with the field named', async () => {
    const job = new StepsJob({ name: 'h', address: 'h', port: 22, local: false }, [
      { kind: 'upload', from: 'a', to: '/srv/${GONE}' },
    ]);
    await expect(subtasksOf(job, contextFor(job.host, {}))).rejects.toThrow(
      new ConfigError('steps[0].upload.to: unknown variable "${GONE}"'),
    );
  });
});
