import {
  describeHolder,
  lockReport,
  OWNER_MAX_BYTES,
  parseOwner,
} from '../../../src/pipeline/lock/lock-owner.js';
import { notRunReport } from '../../../src/pipeline/lock/lock-gate.js';
import { toJsonReport } from '../../../src/reporters/json.js';
import { parseLockReply, replyComplete } from '../../../src/steps/lock-scripts.js';

describe('parseOwner: owner.json from a lock host that may lie', () => {
  it('keeps the fields of the schema, control characters in text flattened', () => {
    const owner = parseOwner(
      JSON.stringify({
        token: 'abc12345',
        who: 'al\nice',
        pid: 12,
        manual: true,
        runUrl: 'https://x/r/1',
        extra: 1,
      }),
    );
    expect(owner).toEqual({
      token: 'abc12345',
      who: 'al\ufffdice',
      pid: 12,
      manual: true,
      runUrl: 'https://x/r/1',
    });
  });

  it('drops fields of the wrong type, shape or length, and says so', () => {
    const owner = parseOwner(
      JSON.stringify({
        who: { x: 1 },
        pid: -1,
        runUrl: 'javascript:alert(1)',
        started: 'yesterday',
        runner: 'r'.repeat(201),
      }),
    );
    expect(owner.who).toBeUndefined();
    expect(owner.runUrl).toBeUndefined();
    expect(owner.malformed).toBe('invalid who, runner, runUrl, pid, started');
    expect(describeHolder(owner, 3)).toBe(
      'an unknown holder (its owner.json is malformed: invalid who, runner, runUrl, pid, started), 3 s old',
    );
  });

  it('keeps a runUrl in its safe form: the JSON report gets `)`, spaces and `<` percent-encoded', () => {
    const owner = parseOwner(
      JSON.stringify({
        who: 'mallory',
        runUrl: 'https://x/a b)<h2>INJECTED</h2>[click](https://evil.example/login)',
      }),
    );
    const safe = 'https://x/a%20b%29%3Ch2%3EINJECTED%3C/h2%3E[click]%28https://evil.example/login%29';
    expect(owner).toEqual({ who: 'mallory', runUrl: safe });
    const target = { name: 'shop', host: { name: 'lock-host' } };
    const gate = { refused: 'held', result: 'failure' as const, lock: lockReport(target, 'refused', owner) };
    const json = toJsonReport(notRunReport('deploy', 'r1', new Date(), gate));
    expect(json.lock?.runUrl).toBe(safe);
    expect(JSON.stringify(json)).not.toMatch(/[()<> ]INJECTED|a b|\)</);
  });

  it('reads no JSON that is not an object, nor one that is too large', () => {
    expect(parseOwner('[1]').malformed).toBe('not a JSON object');
    expect(parseOwner('{').malformed).toBe('not JSON');
    expect(parseOwner(JSON.stringify({ who: 'x'.repeat(OWNER_MAX_BYTES) })).malformed).toMatch(/larger than/);
  });
});

describe('parseLockReply: what a lock command said', () => {
  it('the first owner line counts, an age is capped at a year, a complete answer is known as such', () => {
    const reply = parseLockReply(['held', 'age 99999999999', 'owner {"who":"a"}', 'owner {"who":"b"}']);
    expect(reply).toEqual({ answer: 'held', ageSeconds: 365 * 24 * 3600, owner: '{"who":"a"}' });
    expect(replyComplete(['held', 'age 3'])).toBe(false);
    expect(replyComplete(['held', 'age 3', 'owner '])).toBe(true);
    expect(replyComplete(['motd', 'acquired'])).toBe(true);
  });
});
