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

export { RELEASE_ID_PATTERN, releaseIdProblem } from '../../contract/release-id.js';
