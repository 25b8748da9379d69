/**
 * Host entries → engine Hosts: groups, stage host lists (groups and/or entries), deduplication, and
 * one definition per host name across the whole config.
 */
import { CONTROLLER, hostLabel } from '../contract/host.js';
import type { Host } from '../contract/host.js';
import type { SshOptions } from '../contract/ssh-options.js';
import { configIssueError } from './config-error.js';
import { didYouMean } from './did-you-mean.js';
import { LOCAL_PREFIX, parseHostEntry } from './formats.js';
import type { HostEntry } from './formats.js';
import type { ConfigPath, Locator } from './locator.js';
import { GROUP_NAME_PATTERN } from './schema-values.js';
import type { HostObject } from './schema-values.js';

/** A validated host as written: a string entry or a `{name, address, port, user}` map. */
export type RawHost = string | HostObject;

/**
 * A string entry is named by its address, and by `address:port` when it names a port other than
 * `defaultPort` (`ssh.port`): two hosts behind one address (NAT, port forwards) get distinct names.
 */
export function toHostEntry(raw: RawHost, defaultPort: number): HostEntry | undefined {
  if (typeof raw === 'string') {
    const entry = parseHostEntry(raw);
    if (!entry || entry.local || entry.port === undefined || entry.port === defaultPort) return entry;
    const address = entry.address.includes(':') ? `[${entry.address}]` : entry.address;
    return { ...entry, name: `${address}:${entry.port}` };
  }
  if (raw.name.startsWith(LOCAL_PREFIX)) return parseHostEntry(raw.name);
  return {
    name: raw.name,
    address: raw.address ?? raw.name,
    local: false,
    ...(raw.port !== undefined ? { port: raw.port } : {}),
    ...(raw.user !== undefined ? { user: raw.user } : {}),
  };
}

/** Local hosts get port 0 (unused); remote ones the entry's port, else `ssh.port`. */
export function toHost(entry: HostEntry, ssh: Pick<SshOptions, 'port'>): Host {
  return Object.freeze({
    name: entry.name,
    address: entry.address,
    port: entry.local ? 0 : (entry.port ?? ssh.port),
    local: entry.local,
    ...(entry.user !== undefined ? { user: entry.user } : {}),
  });
}

const sameHost = (a: Host, b: Host): boolean =>
  a.address === b.address && a.port === b.port && a.user === b.user && a.local === b.local;

/**
 * Every host the config names, by name. A name always means one host: the same name with another
 * address, port or user is an error (otherwise `--hosts web-1` would be ambiguous).
 */
export class HostCatalog {
  readonly #byName = new Map<string, Host>();

  constructor(
    private readonly ssh: Pick<SshOptions, 'port' | 'user'>,
    private readonly locator: Locator,
  ) {}

  /** Register the host written at `path`; returns the one Host object for its name. */
  add(raw: RawHost, path: ConfigPath): Host {
    const entry = toHostEntry(raw, this.ssh.port);
    if (!entry) throw configIssueError(this.locator, path, `invalid host entry ${JSON.stringify(raw)}`);
    const host = toHost(entry, this.ssh);
    if (host.name === CONTROLLER.name) {
      throw configIssueError(
        this.locator,
        path,
        `"${CONTROLLER.name}" names this machine in reports; give the host another name`,
      );
    }
    const known = this.#byName.get(host.name);
    if (!known) {
      this.#byName.set(host.name, host);
      return host;
    }
    if (sameHost(known, host)) return known;
    const [a, b] = [hostLabel(known, this.ssh.user), hostLabel(host, this.ssh.user)];
    throw configIssueError(
      this.locator,
      path,
      `host "${host.name}" is already defined as ${a}, here it is ${b}; a name means one host, ` +
        `so give this one its own: { name: OTHER-NAME, address: ${host.address}, port: ${host.port}` +
        `${host.user ? `, user: ${host.user}` : ''} }`,
    );
  }

  get hosts(): Host[] {
    return [...this.#byName.values()];
  }
}

export function resolveGroups(
  groups: Readonly<Record<string, readonly RawHost[]>>,
  catalog: HostCatalog,
): Record<string, Host[]> {
  const out: Record<string, Host[]> = {};
  for (const [group, entries] of Object.entries(groups)) {
    out[group] = dedupe(entries.map((raw, i) => catalog.add(raw, ['hosts', group, i])));
  }
  return out;
}

/**
 * A stage's `hosts:` list → its hosts, in order, each once (a host listed twice, directly or
 * through two groups, runs one job). A bare word (letters, digits, `-`, `_`) is a group name and
 * must exist; anything else is a host entry.
 */
export function resolveStageHosts(
  items: readonly RawHost[],
  path: ConfigPath,
  groups: Readonly<Record<string, readonly Host[]>>,
  catalog: HostCatalog,
  locator: Locator,
): Host[] {
  const hosts: Host[] = [];
  for (const [i, item] of items.entries()) {
    const itemPath = [...path, i];
    if (typeof item === 'string' && Object.hasOwn(groups, item)) {
      hosts.push(...(groups[item] as Host[]));
    } else if (typeof item === 'string' && GROUP_NAME_PATTERN.test(item)) {
      throw configIssueError(locator, itemPath, unknownGroupMessage(item, Object.keys(groups)));
    } else if (typeof item === 'string' && !parseHostEntry(item)) {
      throw configIssueError(
        locator,
        itemPath,
        `expected a group name or a host entry: "name.domain", "user@name:port" or "local:NAME", got ${JSON.stringify(item)}`,
      );
    } else {
      hosts.push(catalog.add(item, itemPath));
    }
  }
  return dedupe(hosts);
}

function unknownGroupMessage(name: string, groups: readonly string[]): string {
  const hint = didYouMean(name, groups);
  if (hint) return `unknown host group "${name}"${hint}`;
  const known = groups.length ? `known groups: ${groups.join(', ')}` : 'no host groups are defined';
  return `unknown host group "${name}" (${known}); a single host without a dot is written ${name}:22 or {name: ${name}}`;
}

function dedupe(hosts: readonly Host[]): Host[] {
  return [...new Map(hosts.map((host) => [host.name, host])).values()];
}
