/** The OpenSSH client programs, found on PATH; a missing one is a clear error naming the package. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ConfigError } from '../../contract/errors.js';

export interface OpensshBinaries {
  readonly ssh: string;
  readonly agent: string;
  readonly add: string;
}

function which(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `ssh`, `ssh-agent` and `ssh-add` from PATH. */
export function findOpenssh(env: NodeJS.ProcessEnv = process.env): OpensshBinaries {
  const found = ['ssh', 'ssh-agent', 'ssh-add'].map((name) => [name, which(name, env)] as const);
  const missing = found.filter(([, path]) => path === undefined).map(([name]) => name);
  if (missing.length > 0) {
    throw new ConfigError(
      `ssh.client is openssh but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not on PATH: ` +
        'install the OpenSSH client (the openssh-client package: apt-get install openssh-client), or use client: builtin',
    );
  }
  const [ssh, agent, add] = found.map(([, path]) => path as string) as [string, string, string];
  return { ssh, agent, add };
}
