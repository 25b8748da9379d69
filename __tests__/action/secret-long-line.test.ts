/**
 * A secret inside a line longer than the line limit: the line is cut into pieces, and the secret
 * must not survive in any of them, whole or in halves, in any channel the action writes. Run
 * through the bundled action against a real sshd, as a workflow would.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_LINE_CHARS } from '../../src/transport/line-splitter.js';
import { tempDir } from '../support/cli.js';
import { fleetConfigHead, useActionFleet, writeWorkspaceConfig } from '../support/ssh-release-fixture.js';
import { annotationsOf, runAction, visibleText } from './action-harness.js';

const TOKEN = 'tok_3c59dc048e8850243be8079a5c74d079';
// Clear of the cuts, straddling the first and the second cut (with 14 and 24 characters before
// it), and near the end of the line.
const OFFSETS = [40, MAX_LINE_CHARS - 14, 2 * MAX_LINE_CHARS - 24, 39_500];
const LENGTH = 40_000;

const suite = useActionFleet({ count: 1 }, 30_000);
const fleet = suite.fleet;

/** ~40 KB of minified JSON on one line, with TOKEN at each of OFFSETS. */
function jsonLine(): string {
  const items: string[] = [];
  for (let i = 0; items.join(',').length < LENGTH; i++) items.push(`{"id":${i},"name":"item","ok":true}`);
  let line = `[${items.join(',')}]`.slice(0, LENGTH);
  for (const at of OFFSETS) line = line.slice(0, at) + TOKEN + line.slice(at + TOKEN.length);
  return line;
}

/** Where `a` and `b` first differ (-1: equal), so a failure does not print 40 KB twice. */
function firstDifference(a: string, b: string): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Channels holding a piece of `secret` of 12 characters or more (a half of it, say). */
function fragmentLeaks(channels: Record<string, string>, secret: string): string[] {
  const found: string[] = [];
  for (const [channel, text] of Object.entries(channels)) {
    for (let i = 0; i + 12 <= secret.length; i++) {
      if (text.includes(secret.slice(i, i + 12))) {
        found.push(`${channel}: ${secret.slice(i, i + 12)}`);
        break;
      }
    }
  }
  return found;
}

it('a secret in a 40 KB line, straddling each cut, shows nowhere: log, annotation, summary, outputs, report', async () => {
  const ws = await tempDir('bw-ws-longline-');
  // The host prints the line with the secret it got as a variable put in (the file holds a placeholder).
  const template = join(fleet.scratchDir, `long-line-${Date.now()}.json`);
  await writeFile(template, jsonLine().replaceAll(TOKEN, '@TOKEN@'), { mode: 0o644 });
  const host = fleet.hosts[0]!;
  await writeWorkspaceConfig(
    ws,
    `${fleetConfigHead(fleet, { hosts: [host], names: ['web-1'], credentials: 'inputs' })}runners:
  deploy:
    stages:
      - name: Print
        hosts: [web]
        steps:
          - run: |
              sed "s/@TOKEN@/$TOKEN/g" ${template}
              echo
              exit 3
`,
  );
  const r = await runAction({
    actionDir: suite.actionDir,
    workspace: ws,
    inputs: {
      ...suite.sshInputs,
      'secret-vars': `TOKEN=${TOKEN}`,
    },
  });
  expect(r.code).toBe(1);
  const annotations = annotationsOf(r.stdout, 'error');
  const channels = { ...visibleText(r), annotations: annotations.map((a) => a.message).join('\n') };
  expect(fragmentLeaks(channels, TOKEN)).toEqual([]);
  // The line did arrive, in pieces, with the secret replaced and nothing else lost.
  const pieces = r.stdout
    .split('\n')
    .map((l) => /^web-1 │ (.*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined && l.length > 0);
  expect(pieces.length).toBe(3);
  expect(firstDifference(pieces.join(''), jsonLine().replaceAll(TOKEN, '***'))).toBe(-1);
  // The failure annotation and the summary quote the end of the output.
  const hostAnnotation = annotations.find((a) => a.title === 'web-1 failed · Print');
  expect(hostAnnotation?.message).toContain('│ [{"id":0');
  expect(r.summary).toContain('{&quot;id&quot;:1140,');
  expect(JSON.parse(r.reportText).stages[0].jobs[0]).toMatchObject({ host: 'web-1', result: 'failure' });
}, 60_000);
