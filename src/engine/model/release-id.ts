import { randomBytes } from 'node:crypto';

/**
 * The default release id (BW_RELEASE): the run's start as a UTC timestamp and six random hex
 * digits, `20261128T005603Z-3fa9c2`. The timestamp makes ids sort by time and read well in a
 * directory listing; the suffix keeps two runs that start in the same second (two workflows, two
 * people) out of each other's release directory.
 */
export function defaultReleaseId(at: Date, random: () => Buffer = () => randomBytes(3)): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${stamp}-${random().toString('hex').slice(0, 6)}`;
}

/** What a release id may look like: it names a directory on every host (`releases/ID`). */
export const RELEASE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Why `id` cannot be a release id, or undefined when it can. */
export function releaseIdProblem(id: string): string | undefined {
  if (RELEASE_ID_PATTERN.test(id) && !id.includes('..')) return undefined;
  return (
    'expected a release id: letters, digits, ".", "-" and "_", starting with a letter or digit, ' +
    `at most 128 characters, no ".." (it names a directory), got ${JSON.stringify(id)}`
  );
}
