import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TimeoutError, CancelledError } from '../../src/errors.js';
import { createSshTransport } from '../../src/transport/ssh.js';
import type { Transport } from '../../src/transport/transport.js';
import { startSshdFleet, type SshdFleet } from '../support/sshd.js';
import { collect, fleetOptions, hostOf, script } from '../support/sshd-fixtures.js';

let fleet: SshdFleet;
let transport: Transport;

beforeAll(async () => {
  fleet = await startSshdFleet({ count: 1 });
  transport = createSshTransport(fleetOptions(fleet));
}, 20_000);

afterAll(async () => {
  await transport?.close();
  await fleet?.stop();
});

describe('SSH exec', () => {
  it('streams stdout and stderr lines and returns the exit code', async () => {
    const out = collect();
    const r = await transport.exec(
      hostOf(fleet.hosts[0]!),
      script('echo one\necho two >&2\nprintf three\nexit 3'),
      out,
    );
    expect(r.exitCode).toBe(3);
    expect(out.stdout()).toEqual(['one', 'three']);
    expect(out.stderr()).toEqual(['two']);
  }, 10_000);

  it('a timeout terminates the remote command: the marker it would write later never appears', async () => {
    const marker = join(fleet.scratchDir, 'late-marker');
    const ac = new AbortController();
    const out = collect(ac.signal);
    const started = Date.now();
    const p = transport.exec(hostOf(fleet.hosts[0]!), script(`echo started\nsleep 2\ntouch ${marker}`), out);
    setTimeout(() => ac.abort(new TimeoutError('timed out')), 500);
    await expect(p).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 2500));
    expect(existsSync(marker)).toBe(false);
    void CancelledError;
  }, 10_000);
});
