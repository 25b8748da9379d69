import { homedir } from 'node:os';
import { join } from 'node:path';

/** `~` and `~/…` → the controller's home directory (config paths are written the way users type them). */
export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}
