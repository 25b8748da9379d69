/**
 * What the end-to-end suites of the CLI and the action against real sshd share: a fleet started
 * before the suite and stopped after it (with the installed action and its SSH inputs, for the
 * action's suites), the head of a release config that reaches the fleet, and the file the action
 * reads its config from. Unlike sshd.ts (which bench/ reuses), this registers Jest hooks.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installedAction } from './installed-action.js';
import { startSshdFleet, type SshdFleet, type SshdFleetOptions } from './sshd.js';

/**
 * Starts a fleet in `beforeAll` (within `timeoutMs`, Jest's default when not given) and stops it in
 * `afterAll`; the returned fleet stands for it, so a suite reads `fleet.hosts` as usual.
 */
export function useSshdFleet(opts: SshdFleetOptions, timeoutMs?: number): SshdFleet {
  return registerFleet(opts, timeoutMs, async () => {}).fleet;
}

/** The fleet of an action suite, the action it runs, and the SSH inputs a workflow passes it. */
export interface ActionFleet {
  /** As `useSshdFleet` returns it. */
  readonly fleet: SshdFleet;
  /** A copy of action.yml and dist/ (`installedAction()`), as a workflow checks the action out. */
  readonly actionDir: string;
  /** The fleet's client private key (its text), what a workflow keeps in a secret. */
  readonly privateKey: string;
  /** The fleet's known_hosts (its text). */
  readonly knownHosts: string;
  /** `ssh-private-key` and `ssh-known-hosts` inputs holding the two, as a workflow passes them. */
  readonly sshInputs: Record<string, string>;
}

/** `useSshdFleet`, and in the same `beforeAll` the installed action and the fleet's key and known_hosts. */
export function useActionFleet(opts: SshdFleetOptions, timeoutMs?: number): ActionFleet {
  let loaded: { actionDir: string; privateKey: string; knownHosts: string } | undefined;
  const { fleet } = registerFleet(opts, timeoutMs, async (started) => {
    loaded = {
      actionDir: await installedAction(),
      privateKey: await readFile(started.keyPath, 'utf8'),
      knownHosts: await readFile(started.knownHostsPath, 'utf8'),
    };
  });
  const ready = (): NonNullable<typeof loaded> => {
    if (loaded === undefined) throw new Error('the action suite is read before its beforeAll set it up');
    return loaded;
  };
  return {
    fleet,
    get actionDir() {
      return ready().actionDir;
    },
    get privateKey() {
      return ready().privateKey;
    },
    get knownHosts() {
      return ready().knownHosts;
    },
    get sshInputs() {
      return { 'ssh-private-key': ready().privateKey, 'ssh-known-hosts': ready().knownHosts };
    },
  };
}

function registerFleet(
  opts: SshdFleetOptions,
  timeoutMs: number | undefined,
  then: (fleet: SshdFleet) => Promise<void>,
): { fleet: SshdFleet } {
  let started: SshdFleet | undefined;
  beforeAll(async () => {
    started = await startSshdFleet(opts);
    await then(started);
  }, timeoutMs);
  afterAll(() => started?.stop());
  // A stand-in read through at each use: the suite can hold it from the start, the fleet comes later.
  const fleet = new Proxy({} as SshdFleet, {
    get(_, key) {
      if (started === undefined)
        throw new Error(`fleet.${String(key)} read before beforeAll started the fleet`);
      return Reflect.get(started, key);
    },
  });
  return { fleet };
}

/** A host to list in a config (an `SshdHost` is one); `name` is its own unless `names` says otherwise. */
export interface ConfigHost {
  name: string;
  address: string;
  port: number;
}

export interface ConfigHeadOptions {
  /** The hosts of the group `web` (default: every host of the fleet). */
  hosts?: readonly ConfigHost[];
  /** What the config calls them, by index (default: their own names, h0, h1, …). */
  names?: readonly string[];
  /**
   * The `lock:` value as YAML (default `false`: suites and worktrees share the login user's
   * ~/.boerewors/locks, so a suite about the lock gives it a name of its own).
   */
  lock?: string;
  /**
   * Where the client key and known_hosts come from: `files`, the fleet's, named in `ssh:` (the
   * CLI; the default); `inputs`, the action's inputs, so `ssh:` names neither.
   */
  credentials?: 'files' | 'inputs';
  /** More `ssh:` keys, or replaced ones, as YAML values (`host-key-checking: off`). */
  ssh?: Record<string, string>;
  /**
   * `connect-timeout` (default 5s, quick for tests; a stopped host fails fast); null leaves it out,
   * for a suite that runs with the product's default.
   */
  connectTimeout?: string | null;
  /** More groups: YAML lines under `hosts:`, after the group. */
  moreHosts?: string;
  /** `vars:`, each value written as a YAML string. */
  vars?: Record<string, string | number>;
}

/**
 * The head of a release config reaching `fleet` (`version`, `lock`, `ssh`, `hosts`, `vars`); the
 * suite appends its `runners:`.
 */
export function fleetConfigHead(fleet: SshdFleet, opts: ConfigHeadOptions = {}): string {
  const hosts = (opts.hosts ?? fleet.hosts).map(
    (h, i) => `    - { name: ${opts.names?.[i] ?? h.name}, address: ${h.address}, port: ${h.port} }`,
  );
  const files =
    (opts.credentials ?? 'files') === 'files'
      ? { 'private-key': fleet.keyPath, 'known-hosts': fleet.knownHostsPath }
      : {};
  const ssh = Object.entries({
    user: fleet.user,
    ...files,
    ...opts.ssh,
    ...(opts.connectTimeout === null ? {} : { 'connect-timeout': opts.connectTimeout ?? '5s' }),
  });
  const vars = Object.entries(opts.vars ?? {});
  return [
    'version: 1',
    `lock: ${opts.lock ?? 'false'}`,
    'ssh:',
    ...ssh.map(([k, v]) => `  ${k}: ${v}`),
    'hosts:',
    '  web:',
    ...hosts,
    ...(opts.moreHosts ? [opts.moreHosts] : []),
    ...(vars.length > 0 ? ['vars:', ...vars.map(([k, v]) => `  ${k}: ${JSON.stringify(String(v))}`)] : []),
    '',
  ].join('\n');
}

/** Writes `yaml` where the action reads its config by default (`.github/release.yml` of the workspace). */
export async function writeWorkspaceConfig(workspace: string, yaml: string): Promise<void> {
  await mkdir(join(workspace, '.github'), { recursive: true });
  await writeFile(join(workspace, '.github/release.yml'), yaml);
}
