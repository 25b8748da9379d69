/** A target of jobs. `local` hosts (`local:NAME` in a config) run their steps on this machine with bash. */
export interface Host {
  /** Name shown in logs and reports and matched by `--hosts`: `web-1.example.com`, `web-3`, `local:a`. */
  readonly name: string;
  /** Where to connect: DNS name or IP address. `localhost` for local hosts. */
  readonly address: string;
  /** SSH port; 22 unless given. Ignored for local hosts. */
  readonly port: number;
  /** SSH user; when absent the `ssh.user` default (or the current user) applies. */
  readonly user?: string;
  /** True for `local:NAME` hosts. */
  readonly local: boolean;
}

/** The controller itself: where `local` steps run, and the host of a stage that names no hosts. */
export const CONTROLLER: Host = Object.freeze({
  name: 'controller',
  address: 'localhost',
  port: 0,
  local: true,
});

/** `user@address:port`, the form every connection error uses. */
export function hostLabel(host: Host, defaultUser?: string): string {
  if (host.local) return host.name;
  const user = host.user ?? defaultUser;
  return `${user ? `${user}@` : ''}${host.address}:${host.port}`;
}
