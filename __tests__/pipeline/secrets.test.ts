import {
  maskableValues,
  MIN_REDACTED_LENGTH,
  Redactor,
  REDACTED,
  secretValues,
  tooShortToRedact,
} from '../../src/pipeline/secrets.js';
import type { EngineEvent } from '../../src/engine/report/events.js';
import { job, run, stage } from '../support/report-fixtures.js';

const KEY = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDm1cLNrEa8qfJkYbYMtXWnZr5YyvnS0xDfXbYpGnV3yAAAAJgAAAAA
-----END OPENSSH PRIVATE KEY-----`;

describe('secretValues', () => {
  it('collects the key, its passphrase and every secret var, and nothing else', () => {
    expect(
      secretValues({
        privateKey: KEY,
        passphrase: 'correct horse',
        secretVars: { TOKEN: 's3cr3t-t0ken', PIN: '12' },
      }),
    ).toEqual([KEY, 'correct horse', 's3cr3t-t0ken', '12']);
    expect(secretValues({ secretVars: {} })).toEqual([]);
  });
});

describe('tooShortToRedact', () => {
  it('names the secrets too short to be redacted on their own, never their values', () => {
    expect(tooShortToRedact({ PIN: '123', TOKEN: 's3cr3t', EMPTY: '', BLANK: '   ' })).toEqual(['PIN']);
    expect(MIN_REDACTED_LENGTH).toBe(4);
  });
});

describe('Redactor', () => {
  it('replaces every secret, longest first, so one that contains another goes whole', () => {
    const r = new Redactor(['abcd', 'abcdefgh']);
    expect(r.text('x abcdefgh y abcd z')).toBe(`x ${REDACTED} y ${REDACTED} z`);
    expect(r.longest).toBe(8);
    expect(r.empty).toBe(false);
  });

  it('redacts each line of a multi-line secret on its own, and leaves short values alone', () => {
    const r = new Redactor([KEY, 'ab']);
    const line = KEY.split('\n')[1] as string;
    expect(r.text(`key line: ${line}`)).toBe(`key line: ${REDACTED}`);
    expect(r.text('ab stays: a short value would garble everything')).toBe(
      'ab stays: a short value would garble everything',
    );
  });

  it('redacts a secret cut by a CR or an escape sequence: removing them would join it again', () => {
    const r = new Redactor(['tok-5b4a3928170', 'other-secret']);
    expect(r.text('token=tok-5b4a\r3928170 ok')).toBe('token=*** ok');
    expect(r.text('a \x1b[31mtok-5b\x1b[0m4a3928170\x07 b')).toBe('a \x1b[31m***\x07 b');
    expect(r.text('tok-5b4a\r\rother-secret')).toBe('tok-5b4a\r\r***');
    // A newline is no control character the summary removes: the halves stay apart there.
    expect(r.text('tok-5b4a\n3928170')).toBe('tok-5b4a\n3928170');
  });

  it('with no secrets, hands events and reports back untouched', () => {
    const r = new Redactor([]);
    expect(r.empty).toBe(true);
    const report = run([stage('Ship', [job('a')])]);
    expect(r.report(report)).toBe(report);
    const e: EngineEvent = { type: 'output', stage: 'Ship', host: 'a', stream: 'stdout', line: 'hi' };
    expect(r.event(e)).toBe(e);
  });

  it('redacts every event and report field that can carry output or an error', () => {
    const r = new Redactor(['s3cr3t']);
    const leaky = job('a', { result: 'failure', error: 'bad s3cr3t', outputTail: 'x s3cr3t' });
    const events: EngineEvent[] = [
      { type: 'output', stage: 'S', host: 'a', stream: 'stdout', line: 'echo s3cr3t' },
      { type: 'job-retry', stage: 'S', host: 'a', attempt: 1, error: 's3cr3t failed', delayMs: 1 },
      { type: 'warning', message: 'warn s3cr3t' },
      { type: 'job-end', stage: 'S', job: leaky },
      { type: 'stage-end', stage: stage('S', [leaky]), index: 1, total: 1 },
      { type: 'run-end', report: run([stage('S', [leaky])], { reason: 'because s3cr3t' }) },
    ];
    const text = JSON.stringify(events.map((e) => r.event(e)));
    expect(text).not.toContain('s3cr3t');
    expect(text.split(REDACTED).length - 1).toBe(10);
  });
});

describe('maskableValues', () => {
  it('masks each value whole and each of its lines', () => {
    expect(maskableValues([`${KEY}\n`, 'tok3n-value', '', 'ab'])).toEqual([
      `${KEY}\n`,
      '-----BEGIN OPENSSH PRIVATE KEY-----',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
      'QyNTUxOQAAACDm1cLNrEa8qfJkYbYMtXWnZr5YyvnS0xDfXbYpGnV3yAAAAJgAAAAA',
      '-----END OPENSSH PRIVATE KEY-----',
      'tok3n-value',
      'ab',
    ]);
  });
});
