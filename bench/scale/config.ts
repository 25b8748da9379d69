/** The release config of the scale case: every fleet host in one group, one runner per command. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchFleet, FleetHost } from '../fleet.js';

export interface ScaleRunner {
  /** Runner name (`true`, `sleep`). */
  readonly name: string;
  /** The one step every host runs. */
  readonly command: string;
}

/**
 * Writes `scale-N.yml` into the fleet's directory and returns its path. No canary: neither peer
 * has one, so this is the like-for-like comparison.
 */
export function writeScaleConfig(
  fleet: BenchFleet,
  hosts: readonly FleetHost[],
  pool: number,
  runners: readonly ScaleRunner[],
): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = [
    'version: 1',
    'ssh:',
    `  user: ${q(fleet.user)}`,
    `  private-key: ${q(fleet.keyPath)}`,
    `  known-hosts: ${q(fleet.knownHostsPath)}`,
    'hosts:',
    '  fleet:',
    ...hosts.map((h) => `    - { name: ${q(h.name)}, address: ${q(h.address)}, port: ${h.port} }`),
    'runners:',
    ...runners.flatMap((r) => [
      `  ${q(r.name)}:`,
      '    stages:',
      `      - name: ${q(r.command)}`,
      '        hosts: [fleet]',
      '        canary: false',
      `        pool-size: ${pool}`,
      '        steps:',
      `          - run: ${q(r.command)}`,
    ]),
  ];
  const path = join(fleet.dir, `scale-${hosts.length}.yml`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
