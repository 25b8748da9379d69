import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO, tempDir } from './cli.js';

/** Copies action.yml and dist/ to an empty directory: the bundle must run without node_modules. */
export async function installedAction(): Promise<string> {
  const dir = await tempDir('bw-action-');
  await cp(join(REPO, 'action.yml'), join(dir, 'action.yml'));
  await cp(join(REPO, 'dist'), join(dir, 'dist'), { recursive: true });
  return dir;
}
