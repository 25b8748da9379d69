/**
 * The documentation explains the project from inside the repository: every relative link in it
 * resolves to a file that is here, and none points to a design document kept elsewhere.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO } from './support/cli.js';

const DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  'src/engine/README.md',
  'bench/README.md',
  ...readdirSync(join(REPO, 'docs')).map((f) => `docs/${f}`),
];

describe.each(DOCS)('%s', (doc) => {
  const text = readFileSync(join(REPO, doc), 'utf8');

  it('links only to files in the repository', () => {
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => (m[1] ?? '').split('#')[0] ?? '')
      .filter((t) => t !== '' && !/^[a-z]+:/.test(t));
    const missing = targets.filter((t) => !existsSync(join(REPO, dirname(doc), t)));
    expect(missing).toEqual([]);
  });

  it('does not send the reader to a design document outside the repository', () => {
    expect(text).not.toMatch(/DESIGN(\.md| §)/);
  });
});
