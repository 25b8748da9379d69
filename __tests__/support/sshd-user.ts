/**
 * The account the harness logs in as. As root we use a dedicated plain user: root's own dotfiles
 * may be slow (Debian's bash sources ~/.bashrc for commands run by sshd), and a deploy user is
 * what releases use anyway. Otherwise sshd runs unprivileged and can only log us in as ourselves.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TEST_USER = 'bwtest';

export interface LoginUser {
  name: string;
  home: string;
  uid: number;
  gid: number;
}

function lookup(name: string): LoginUser | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 7)
      return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' };
  }
  return null;
}

/** With `UsePAM no`, sshd refuses accounts whose password field is locked (`!…`); `*` means "no password, not locked". */
function passwordLocked(name: string): boolean {
  try {
    const entry = readFileSync('/etc/shadow', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${name}:`));
    return entry?.split(':')[1]?.startsWith('!') ?? false;
  } catch {
    return false;
  }
}

export async function ensureLoginUser(): Promise<LoginUser> {
  if (process.getuid?.() !== 0) {
    const me = userInfo();
    return { name: me.username, home: me.homedir, uid: me.uid, gid: me.gid };
  }
  if (!lookup(TEST_USER)) {
    // Two test workers may race here; the loser's useradd fails and the lookup below settles it.
    await run('useradd', ['--create-home', '--shell', '/bin/sh', TEST_USER]).catch(() => undefined);
  }
  const user = lookup(TEST_USER);
  if (!user) throw new Error(`could not create the test user ${TEST_USER}`);
  if (passwordLocked(TEST_USER)) await run('usermod', ['-p', '*', TEST_USER]);
  return user;
}

/** The home directory of `name` (where `~/.boerewors/locks` of a test login is). */
export function loginHome(name: string): string {
  const user = lookup(name);
  if (!user) throw new Error(`no user ${name} in /etc/passwd`);
  return user.home;
}
